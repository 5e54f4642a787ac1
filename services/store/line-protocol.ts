import type { FieldValue, HistoryPoint, Measurement } from './history-store.ts';
import { HistoryStoreError, normalizePoint, visitPoint } from './points.ts';

/**
 * History points as InfluxDB line protocol, the form they take in the spool.
 *
 * The spool record of a point is the very line InfluxDB is sent: the history writer joins
 * records with newlines and posts them, with no parse or re-encode per point on the way (that
 * was a fifth of the hub's CPU at 25k msg/s). The embedded store parses the lines back with
 * `parseLine`, which reads exactly what `encodeLine` writes.
 *
 * What `encodeLine` writes is canonical: the point passes `normalizePoint` (the rules both
 * stores share), tags and fields are sorted by key, every number is a float (an
 * integer-looking value never fixes a field's type to integer), booleans are `T`/`F`, and the
 * timestamp is integer milliseconds (the write URL says `precision=ms`). It is byte for byte
 * what `Point.toLineProtocol()` of @influxdata/influxdb-client gives for the same point
 * (test/store/line-protocol.test.ts holds it to that).
 */

/**
 * Tag values as written to line protocol. InfluxDB's tag unescaping knows only `\,` `\ ` `\=`,
 * differs between versions on `\\`, and cannot carry a value ending in a backslash or holding
 * a newline. So a backslash is stored as `\_` and line breaks and tabs as `\n` `\r` `\t`: every
 * backslash in a stored value is then followed by a plain letter, which every version keeps
 * verbatim. Values without these characters (all ids the hub issues) are stored unchanged.
 */
export function encodeTagValue(value: string): string {
  if (!/[\\\n\r\t]/.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (ch) => (ch === '\\' ? '\\_' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\\t'));
}

export function decodeTagValue(stored: string): string {
  if (!stored.includes('\\')) return stored;
  // A backslash pair this store did not write (another writer's data) is left as it is.
  return stored.replace(/\\([_nrt])/g, (_m, ch: string) => (ch === '_' ? '\\' : ch === 'n' ? '\n' : ch === 'r' ? '\r' : '\t'));
}

/** Line protocol's own escaping of a tag value (after `encodeTagValue`). Names need none: they are plain identifiers. */
const escapeTag = (v: string): string => (/[, =]/.test(v) ? v.replace(/[, =]/g, (ch) => `\\${ch}`) : v);
const quote = (v: string): string => `"${/["\\]/.test(v) ? v.replace(/["\\]/g, (ch) => `\\${ch}`) : v}"`;

function fieldText(value: FieldValue): string {
  return typeof value === 'number' ? String(value) : typeof value === 'boolean' ? (value ? 'T' : 'F') : quote(value);
}

/** One point as one line (no newline). Throws a non-retryable HistoryStoreError for a point the stores would refuse. */
export function encodeLine(point: HistoryPoint, index = 0): string {
  // Built while the point is checked: one pass, no canonical copy of the point (this runs for
  // every message the hub takes in).
  let line: string = point.measurement;
  let sep = ' ';
  visitPoint(
    point,
    index,
    (key, value) => (line += `,${key}=${escapeTag(encodeTagValue(value))}`),
    (key, value) => {
      line += `${sep}${key}=${fieldText(value)}`;
      sep = ',';
    },
  );
  return `${line} ${point.ts}`;
}

/**
 * The measurement and tags of a line (what `encodeLine` writes before the first space), for a
 * writer that adds the fields itself. Same rules, same escaping.
 */
export function lineHead(measurement: Measurement, tags: Record<string, string>): string {
  const line = encodeLine({ measurement, tags, fields: { _: 0 }, ts: 0 });
  return line.slice(0, line.length - ' _=0 0'.length);
}

/** A spool record: the line's UTF-8 bytes. */
export const encodeRecord = (point: HistoryPoint, index = 0): Buffer => Buffer.from(encodeLine(point, index), 'utf8');

const bad = (line: string, why: string): never => {
  throw new HistoryStoreError(`not a line this hub wrote (${why}): ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`, { retryable: false });
};

/**
 * Splits `text` at each unescaped `stop` character (outside double quotes when `quotes`).
 * Returns the parts with their escapes still in place.
 */
function split(text: string, stop: string, quotes: boolean): string[] {
  const parts: string[] = [];
  let from = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++;
    } else if (quotes && ch === '"') {
      inQuotes = !inQuotes;
    } else if (ch === stop && !inQuotes) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts;
}

const unescapeTag = (v: string): string => (v.includes('\\') ? v.replace(/\\([, =])/g, '$1') : v);

function parseField(line: string, text: string): FieldValue {
  if (text === 'T') return true;
  if (text === 'F') return false;
  if (text.startsWith('"')) {
    if (text.length < 2 || !text.endsWith('"')) bad(line, 'unterminated string');
    return text.slice(1, -1).replace(/\\(["\\])/g, '$1');
  }
  const n = Number(text);
  if (text === '' || !Number.isFinite(n)) bad(line, `field value ${text}`);
  return n;
}

/** The point of a line `encodeLine` wrote. */
export function parseLine(line: string): HistoryPoint {
  // measurement+tags, fields, timestamp. The head ends at its first unescaped space (a quote
  // there is a plain character); the timestamp, which holds no space, follows the last one.
  const [head = '', afterHead] = split(line, ' ', false);
  const lastSpace = line.lastIndexOf(' ');
  if (afterHead === undefined || lastSpace <= head.length) bad(line, 'not three sections');
  const fieldSection = line.slice(head.length + 1, lastSpace);
  const tsText = line.slice(lastSpace + 1);
  const [measurement, ...tagParts] = split(head, ',', false);
  const tags: Record<string, string> = {};
  for (const part of tagParts) {
    const [key, value, ...rest] = split(part, '=', false);
    if (key === undefined || value === undefined || rest.length) bad(line, `tag ${part}`);
    tags[key!] = decodeTagValue(unescapeTag(value!));
  }
  const fields: Record<string, FieldValue> = {};
  for (const part of split(fieldSection, ',', true)) {
    const eq = part.indexOf('=');
    if (eq <= 0) bad(line, `field ${part}`);
    fields[part.slice(0, eq)] = parseField(line, part.slice(eq + 1));
  }
  const ts = Number(tsText);
  return normalizePoint({ measurement: measurement as Measurement, tags, fields, ts }, 0);
}

/** The point of a spool record: line protocol, or the JSON of a point in spools written before line protocol was. */
export function parseRecord(record: Uint8Array): HistoryPoint {
  const text = Buffer.from(record.buffer, record.byteOffset, record.byteLength).toString('utf8');
  return record[0] === 0x7b /* { */ ? normalizePoint(JSON.parse(text) as HistoryPoint, 0) : parseLine(text);
}

/**
 * The records as line protocol, ready to post: each record followed by a newline. JSON records
 * of an older spool are re-encoded; line records are copied as they are.
 */
export function joinRecords(records: readonly Uint8Array[]): Buffer<ArrayBuffer> {
  let total = 0;
  const lines: Uint8Array[] = new Array<Uint8Array>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    lines[i] = r[0] === 0x7b ? encodeRecord(parseRecord(r)) : r;
    total += lines[i]!.byteLength + 1;
  }
  const body = Buffer.allocUnsafe(total);
  let at = 0;
  for (const line of lines) {
    body.set(line, at);
    at += line.byteLength;
    body[at++] = 0x0a;
  }
  return body;
}
