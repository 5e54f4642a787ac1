import { hash } from 'node:crypto';
import { encodeRecord, parseRecord } from '../store/line-protocol.ts';

/**
 * What a second record at the same instant means. A point is identified by its series and its
 * timestamp; both stores would merge a second, different record into the first (its fields
 * win), and with several writes in flight InfluxDB and SQLite could apply the two in different
 * orders. So the rule is decided here, once, in spool order, before either store sees them:
 *
 * - the first record read for a (series, instant) is the point;
 * - the same record again (byte for byte: a resend, a replay after a rewind) passes, and the
 *   store's idempotent write keeps it once;
 * - a different record for that (series, instant) is set aside (dead letter `same-timestamp`).
 *
 * The window is bounded: it remembers the last `capacity` instants, oldest forgotten first, and
 * starts empty after a restart. Replaying the spool after a restart reads records in the same
 * order as before, so the rule gives the same answer for everything still in the spool; only a
 * different record for an instant already written and forgotten (confirmed before the restart,
 * or more than `capacity` instants ago) reaches the store, which merges it.
 */
export type Verdict =
  | 'first'
  | 'repeat'
  | 'conflict'
  /** the very record refused before, read again (after a rewind): refused, not reported again */
  | 'conflict-again';

export const DEFAULT_CAPACITY = 100_000;

/** Fields sections up to this long are remembered as they are; longer ones by their SHA-1. */
const VERBATIM_FIELDS = 96;

/**
 * The instant key of a line-protocol record (`head ts`: the series and the instant, without the
 * fields) and a digest of the rest. Decoded as latin1, one byte one character, so equal
 * strings mean equal bytes.
 */
function split(line: Uint8Array): { key: string; digest: string } {
  let headEnd = -1;
  for (let i = 0; i < line.length; i++) {
    const b = line[i];
    if (b === 0x5c /* \ */) i++;
    else if (b === 0x20 /* space */) {
      headEnd = i;
      break;
    }
  }
  const lastSpace = line.lastIndexOf(0x20);
  const buf = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  if (headEnd < 0 || lastSpace <= headEnd) return { key: buf.toString('latin1'), digest: '' }; // not a line: compared whole
  const text = buf.toString('latin1');
  const key = text.slice(0, headEnd) + text.slice(lastSpace);
  const digest = lastSpace - headEnd <= VERBATIM_FIELDS ? text.slice(headEnd, lastSpace) : hash('sha1', buf.subarray(headEnd, lastSpace), 'base64');
  return { key, digest };
}

export class SameInstantWindow {
  /** instant key → digest of the record */
  private readonly seen = new Map<string, string>();
  /**
   * The keys of `seen` in insertion order, as a ring: the oldest is forgotten first. (Taking the
   * first key of the Map instead walks over every deleted entry before it: 50 µs a record.)
   */
  private readonly order: string[] = [];
  private next = 0;
  /** instant key + digest of records refused, bounded alike */
  private readonly refused = new Set<string>();
  private readonly refusedOrder: string[] = [];
  private refusedNext = 0;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
  }

  /** Remembers a record and says whether it is the first of its instant, a repeat of it, or a different one. */
  check(record: Uint8Array): Verdict {
    // A spool of an older hub holds points as JSON: judged by their line, like the rest.
    const line = record[0] === 0x7b /* { */ ? encodeRecord(parseRecord(record)) : record;
    const { key, digest } = split(line);
    const known = this.seen.get(key);
    if (known !== undefined) {
      if (known === digest) return 'repeat';
      const id = `${key}\u0000${digest}`;
      if (this.refused.has(id)) return 'conflict-again';
      this.refused.add(id);
      const evicted = this.refusedOrder[this.refusedNext];
      if (evicted !== undefined) this.refused.delete(evicted);
      this.refusedOrder[this.refusedNext] = id;
      this.refusedNext = (this.refusedNext + 1) % this.capacity;
      return 'conflict';
    }
    this.seen.set(key, digest);
    const evicted = this.order[this.next];
    if (evicted !== undefined) this.seen.delete(evicted);
    this.order[this.next] = key;
    this.next = (this.next + 1) % this.capacity;
    return 'first';
  }

  get size(): number {
    return this.seen.size;
  }
}
