import { describe, expect, it } from 'vitest';
import { DEFAULTS, FLOOR_DEFAULTS, UsageError, parseFloorOptions, parseOptions } from '../../test/bench/options.ts';
import { fmt, table } from '../../test/bench/format.ts';

describe('npm run bench options', () => {
  it('takes the defaults, flags in both spellings and the profile switch from the environment', () => {
    expect(parseOptions([], {})).toEqual({ ...DEFAULTS, profile: false });
    expect(parseOptions(['--step', '6', '--rate=2500', '--no-peer'], { BENCH_PROFILE: '1' })).toEqual({ ...DEFAULTS, stepS: 6, rate: 2500, peer: false, profile: true });
  });

  it('names the flag and the allowed range when a value is wrong', () => {
    expect(() => parseOptions(['--connections', '0'], {})).toThrow(new UsageError('--connections needs a number from 1 to 20000, got 0'));
    expect(() => parseOptions(['--duration'], {})).toThrow(/--duration needs a number from 1 to 3600, got nothing/);
    expect(() => parseOptions(['--speed', '3'], {})).toThrow(/unknown option --speed/);
  });
});

describe('npm run bench:floor options', () => {
  it('takes the defaults and a list of rates', () => {
    expect(parseFloorOptions([])).toEqual(FLOOR_DEFAULTS);
    expect(parseFloorOptions(['--rates', '1000,2000', '--step=3', '--connections', '10'])).toEqual({ ...FLOOR_DEFAULTS, rates: [1000, 2000], stepS: 3, connections: 10 });
    // parts keep the table's order, whatever order they are asked in
    expect(parseFloorOptions(['--parts', 'influxd,hub'])).toMatchObject({ parts: ['hub', 'influxd'] });
    expect(parseFloorOptions(['-h'])).toBe('help');
  });

  it('refuses a rate list with a gap, a fraction or nothing, naming the flag', () => {
    for (const bad of ['1000,,2000', '1000,2.5', '']) expect(() => parseFloorOptions(['--rates', bad])).toThrow(/--rates needs whole msgs\/s/);
    expect(() => parseFloorOptions(['--rates'])).toThrow(/got nothing/);
    expect(() => parseFloorOptions(['--step', '0'])).toThrow(new UsageError('--step needs a whole number from 1 to 600, got 0'));
    expect(() => parseFloorOptions(['--parts', 'hub,rabbitmq'])).toThrow(/--parts takes bare, aedes, hub, mosquitto, influxd separated by commas, got hub,rabbitmq/);
  });

  it('does not share the default rate list between runs', () => {
    const first = parseFloorOptions([]) as { rates: number[] };
    first.rates.push(1);
    expect(FLOOR_DEFAULTS.rates).toEqual([20_000, 40_000, 60_000]);
  });
});

describe('bench output', () => {
  it('formats numbers with grouping and shows a dash for what is missing', () => {
    expect(fmt(1234567)).toBe('1,234,567');
    expect(fmt(2.345, 1)).toBe('2.3');
    expect(fmt(undefined)).toBe('—');
    expect(fmt(Number.NaN)).toBe('—');
  });

  it('lays out a Markdown table: first column left, the rest right-aligned', () => {
    expect(table([['', 'a'], ['long name', '1,000'], ['x', '2']])).toBe(
      ['|           |     a |', '|-----------|------:|', '| long name | 1,000 |', '| x         |     2 |'].join('\n'),
    );
  });
});
