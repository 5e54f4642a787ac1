import { describe, expect, it } from 'vitest';
import { decodeTagValue, encodeTagValue } from '../../services/store/line-protocol.ts';
import { durationLiteral, identifier, stringLiteral, tagConditions, timeLiteral, whereClause } from '../../services/store/influxql.ts';
import { HOSTILE_VALUES } from './history-store.contract.ts';

/**
 * Reads one quoted token the way InfluxQL's scanner does (only \\ \' \" \n are escapes; a raw
 * newline or an unknown escape is an error) and returns its value and the rest of the text.
 */
function scanQuoted(text: string): { value: string; rest: string } {
  const quote = text[0];
  if (quote !== "'" && quote !== '"') throw new Error(`not quoted: ${text}`);
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === quote) return { value, rest: text.slice(i + 1) };
    if (ch === '\n') throw new Error('unterminated string');
    if (ch === '\\') {
      const next = text[i + 1];
      if (next === '\\' || next === "'" || next === '"') value += next;
      else if (next === 'n') value += '\n';
      else throw new Error(`bad escape \\${next ?? ''}`);
      i++;
    } else value += ch;
  }
  throw new Error('unterminated string');
}

describe('influxql', () => {
  it('escapes string literals: backslash, single quote and newline', () => {
    expect(stringLiteral('plain')).toBe("'plain'");
    expect(stringLiteral("it's")).toBe("'it\\'s'");
    expect(stringLiteral('a\\b')).toBe("'a\\\\b'");
    expect(stringLiteral('ends\\')).toBe("'ends\\\\'");
    expect(stringLiteral('two\nlines')).toBe("'two\\nlines'");
    expect(stringLiteral('say "hi"')).toBe(`'say "hi"'`);
    expect(stringLiteral('')).toBe("''");
  });

  it('keeps injection attempts inside the literal', () => {
    const attempt = "x' OR 1=1 --";
    expect(stringLiteral(attempt)).toBe("'x\\' OR 1=1 --'");
    const condition = tagConditions({ vehicle: attempt });
    expect(condition).toBe(`"vehicle" = 'x\\' OR 1=1 --'`);
    // Everything after `"vehicle" = ` is exactly one literal, with nothing left over.
    const scanned = scanQuoted(condition.slice('"vehicle" = '.length));
    expect(scanned).toEqual({ value: attempt, rest: '' });

    const sneaky = "x\\' OR 1=1 --"; // a backslash meant to escape the escaping quote
    expect(scanQuoted(stringLiteral(sneaky))).toEqual({ value: sneaky, rest: '' });
  });

  it('round-trips every hostile value through a literal and an identifier', () => {
    for (const v of [...HOSTILE_VALUES, "'; DROP DATABASE x; --", '\\\'\\"\\\\', "'''", '"""']) {
      expect(scanQuoted(stringLiteral(v)), JSON.stringify(v)).toEqual({ value: v, rest: '' });
      expect(scanQuoted(identifier(v)), JSON.stringify(v)).toEqual({ value: v, rest: '' });
    }
  });

  it('quotes identifiers with escaping', () => {
    expect(identifier('position')).toBe('"position"');
    expect(identifier('we"ird')).toBe('"we\\"ird"');
    expect(identifier('back\\slash')).toBe('"back\\\\slash"');
    expect(identifier('x" OR "a"="a')).toBe('"x\\" OR \\"a\\"=\\"a"');
  });

  it('writes times as ms epoch literals, clamped to what InfluxDB holds', () => {
    expect(timeLiteral(1_700_000_000_123)).toBe('1700000000123ms');
    expect(timeLiteral(0)).toBe('0ms');
    expect(timeLiteral(-5)).toBe('-5ms');
    expect(timeLiteral(Number.MAX_SAFE_INTEGER)).toBe('9223372036854ms');
    expect(timeLiteral(-Infinity)).toBe('-9223372036854ms');
    expect(() => timeLiteral(Number.NaN)).toThrow(RangeError);
    expect(durationLiteral(60_000)).toBe('60000ms');
    expect(() => durationLiteral(0)).toThrow(RangeError);
    expect(() => durationLiteral(1.5)).toThrow(RangeError);
  });

  it('builds a WHERE clause with sorted tag conditions', () => {
    expect(whereClause(1, 2, {})).toBe('WHERE time >= 1ms AND time <= 2ms');
    expect(whereClause(1, 2, { vehicle: "TB'1", device: 'd' })).toBe(`WHERE time >= 1ms AND time <= 2ms AND "device" = 'd' AND "vehicle" = 'TB\\'1'`);
  });
});

describe('tag value encoding for line protocol', () => {
  it('leaves ordinary values alone', () => {
    for (const v of ['trk-1', 'TB-12', 'a b,c=d', "it's", 'Кропивницький 🚎', '']) expect(encodeTagValue(v)).toBe(v);
  });

  it('leaves no backslash that line protocol could read as an escape, and decodes back exactly', () => {
    for (const v of [...HOSTILE_VALUES, '\\\\\\', '\\_\\n\\r\\t', 'a\\']) {
      const encoded = encodeTagValue(v);
      expect(encoded, JSON.stringify(v)).not.toMatch(/\\(?![_nrt])/);
      expect(encoded).not.toMatch(/[\n\r\t]/);
      expect(decodeTagValue(encoded), JSON.stringify(v)).toBe(v);
    }
  });

  it('keeps backslashes written by others as they are', () => {
    expect(decodeTagValue('C:\\data')).toBe('C:\\data');
  });
});
