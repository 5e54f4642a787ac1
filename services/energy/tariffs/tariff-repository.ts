import type { EnergyResource, EnergyUnit, Tariff, TariffPut, TariffZonePut } from '../../contracts/energy.ts';
import { KeyedCachedTable, serializeOn, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';
import { overlappingTariff, zonePriceUAH } from './pricing.ts';

interface Row {
  id: string; resource: EnergyResource; unit: EnergyUnit; price_uah: number; valid_from: string; valid_to: string | null;
  note: string | null; zones: string | null; updated_at: string; updated_by: string | null;
}

const toTariff = (r: Row): Tariff => {
  const zones = r.zones ? (JSON.parse(r.zones) as TariffZonePut[]) : null;
  return {
    tariffId: r.id, resource: r.resource, unit: r.unit, priceUAH: r.price_uah, validFrom: r.valid_from, validTo: r.valid_to, note: r.note,
    // The zones as given, each with its price per unit resolved (a coefficient × the tariff's price; to a millionth: 6 × 0.4 is not 2.4000000000000004).
    zones: zones ? zones.map((z) => ({ zone: z.zone, hours: z.hours, priceUAH: Math.round(zonePriceUAH({ priceUAH: r.price_uah }, z) * 1e6) / 1e6, coefficient: z.coefficient ?? null })) : null,
    updatedAt: r.updated_at, updatedBy: r.updated_by,
  };
};

/** A tariff whose dates overlap another of the same resource. */
export class TariffOverlapError extends Error {
  constructor(readonly other: Tariff) {
    super(`overlaps tariff "${other.tariffId}" (${other.resource}, ${other.validFrom} – ${other.validTo ?? 'open-ended'})`);
  }
}

const TABLE = 'energy_tariffs';

const byResourceAndDate = (a: Tariff, b: Tariff): number =>
  a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : a.validFrom < b.validFrom ? -1 : a.validFrom > b.validFrom ? 1 : a.tariffId < b.tariffId ? -1 : a.tariffId > b.tariffId ? 1 : 0;

/**
 * The tariffs of the energy domain, in the shared domain tables (PostgreSQL in a cluster). Every
 * tariff is held in memory (`ConsumptionQuery` prices with `list()`, synchronously, per request),
 * written through, and reloaded when another instance changes one. Call `load()` before use.
 */
export class TariffRepository extends KeyedCachedTable<string, Row, Tariff> {
  private sorted: Tariff[] | undefined;

  constructor(db: DomainTables, private readonly now: () => number, onError?: (err: Error) => void) {
    super(db, TABLE, String, toTariff, onError);
  }

  protected override changed(): void {
    this.sorted = undefined;
  }

  /** Every tariff (or one resource's), by resource and start date, from memory. */
  list(resource?: EnergyResource): Tariff[] {
    this.sorted ??= [...this.byId.values()].sort(byResourceAndDate);
    return resource ? this.sorted.filter((t) => t.resource === resource) : [...this.sorted];
  }

  get(id: string): Tariff | undefined {
    return this.byId.get(id);
  }

  /**
   * Creates or replaces a tariff; throws TariffOverlapError when its dates overlap another of its
   * resource. The overlap is checked against the table (not memory), inside the write's transaction,
   * one writer of the resource at a time across the cluster.
   */
  async put(id: string, t: TariffPut, actor: string): Promise<{ tariff: Tariff; created: boolean }> {
    const ts = new Date(this.now()).toISOString();
    const { row, created } = await this.db.transaction(async (tx) => {
      // Two instances writing tariffs of one resource at once check for overlaps in turn.
      await serializeOn(this.db, tx, `${TABLE}:${t.resource}`);
      const others = (await tx.query<Row>(`SELECT * FROM ${TABLE} WHERE resource = $1`, [t.resource])).rows.map(toTariff);
      const clash = overlappingTariff(others, { tariffId: id, resource: t.resource, unit: t.unit, priceUAH: t.priceUAH, validFrom: t.validFrom, validTo: t.validTo ?? null });
      if (clash) throw new TariffOverlapError(clash);
      const existed = (await tx.query(`SELECT 1 FROM ${TABLE} WHERE id = $1`, [id])).rows.length > 0;
      const r = (await tx.query<Row>(
        `INSERT INTO ${TABLE} (id, resource, unit, price_uah, valid_from, valid_to, note, zones, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET resource = $2, unit = $3, price_uah = $4, valid_from = $5, valid_to = $6,
           note = $7, zones = $8, updated_at = $9, updated_by = $10 RETURNING *`,
        [id, t.resource, t.unit, t.priceUAH, t.validFrom, t.validTo ?? null, t.note ?? null, t.zones ? JSON.stringify(t.zones) : null, ts, actor],
      )).rows[0]!;
      await tableChanged(this.db, tx, TABLE, [id]);
      return { row: r, created: !existed };
    });
    const tariff = toTariff(row);
    this.byId.set(id, tariff);
    this.changed();
    return { tariff, created };
  }

  remove(id: string): Promise<boolean> {
    return this.deleteRow(id);
  }
}
