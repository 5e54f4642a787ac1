/**
 * One live table's changes for several namespaces: taken from the table once per tick and handed
 * to every reader (the dispatchers' `/transit` and the passengers' `/open` read one LiveVehicles),
 * so that no namespace takes what another should have sent. Each reader gets every change once,
 * the latest per key; a reader that does not ask holds at most one item per key.
 */
export class ChangeFeed<T> {
  private readonly outboxes: Map<string, T>[] = [];
  private generation = 0;

  /** `take(sweep)`: the table's changes (e.g. `LiveTable.takeChanges`); `keyOf`: the object's key. */
  constructor(private readonly take: (sweep: boolean) => T[], private readonly keyOf: (item: T) => string) {}

  /**
   * One more taker (one per namespace, each asked once per tick). The table is asked by whichever
   * reader comes first after it has seen the last batch: once per tick when every reader is asked each tick.
   */
  reader(): (sweep: boolean) => T[] {
    const box = new Map<string, T>();
    this.outboxes.push(box);
    let seen = this.generation;
    return (sweep) => {
      if (seen === this.generation) {
        const items = this.take(sweep);
        this.generation++;
        for (const b of this.outboxes) {
          for (const item of items) {
            const key = this.keyOf(item);
            b.delete(key);
            b.set(key, item);
          }
        }
      }
      seen = this.generation;
      if (!box.size) return [];
      const out = [...box.values()];
      box.clear();
      return out;
    };
  }
}
