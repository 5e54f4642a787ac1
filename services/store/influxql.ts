/**
 * InfluxQL text building. Every value that reaches a query passes through one of these, so no
 * caller-supplied text can end a literal early and add clauses of its own.
 */

/** The escapes InfluxQL's scanner understands inside quotes; anything else is a syntax error. */
function escapeQuoted(text: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    // The scanner ends a quoted token at a raw newline ("unterminated string").
    else if (ch === '\n') out += '\\n';
    else out += ch;
  }
  return out;
}

/** A string literal: `'it\'s'`. */
export function stringLiteral(value: string): string {
  return `'${escapeQuoted(value, "'")}'`;
}

/** A double-quoted identifier (measurement, tag key, field key, database). */
export function identifier(name: string): string {
  return `"${escapeQuoted(name, '"')}"`;
}

// InfluxDB keeps time as int64 nanoseconds: these are the extreme instants it accepts, in ms.
export const MIN_TIME_MS = -9_223_372_036_854;
export const MAX_TIME_MS = 9_223_372_036_854;

/** An absolute instant as an InfluxQL epoch literal in milliseconds, clamped to what Influx holds. */
export function timeLiteral(ms: number): string {
  if (Number.isNaN(ms)) throw new RangeError('time must be a number');
  const clamped = Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, Math.trunc(ms)));
  return `${clamped}ms`;
}

/** A positive whole number of milliseconds as an InfluxQL duration, e.g. for `GROUP BY time(...)`. */
export function durationLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`duration must be a positive whole number of ms, got ${ms}`);
  return `${ms}ms`;
}

/** `"k1" = 'v1' AND "k2" = 'v2'` in key order, or '' when there is no filter. */
export function tagConditions(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((key) => `${identifier(key)} = ${stringLiteral(tags[key] ?? '')}`)
    .join(' AND ');
}

/** The WHERE clause of a time range plus tag equality filters. */
export function whereClause(from: number, to: number, tags: Record<string, string>): string {
  const parts = [`time >= ${timeLiteral(from)}`, `time <= ${timeLiteral(to)}`];
  const tagPart = tagConditions(tags);
  if (tagPart !== '') parts.push(tagPart);
  return `WHERE ${parts.join(' AND ')}`;
}
