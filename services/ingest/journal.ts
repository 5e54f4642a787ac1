/**
 * What ingest needs of the durable spool (services/spool): append before acknowledging, then
 * read in order, confirm what the store has, and rewind after a failed write.
 */
export interface Journal<P = unknown> {
  append(records: Uint8Array[], options?: { durable?: boolean }): Promise<void>;
  read(maxRecords: number): Promise<{ records: Uint8Array[]; end: P } | null>;
  confirm(end: P): Promise<void>;
  rewind(): void;
  /** Resolves when there is something to read (or the journal closes). */
  waitReadable(): Promise<void>;
}
