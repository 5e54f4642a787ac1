import { describe, expect, it } from 'vitest';
import { LogSummary } from '../../services/observability/log-summary.ts';

describe('LogSummary', () => {
  it('writes the first event of an interval in full, the rest as one summary line', () => {
    const lines: string[] = [];
    let fire: (() => void) | undefined;
    const log = new LogSummary<string>(
      60_000,
      { first: (d) => lines.push(`first ${d}`), summary: (n, sample) => lines.push(`summary ${n} ${sample.join(',')}`) },
      (fn) => {
        fire = fn;
        return () => (fire = undefined);
      },
      2,
    );
    for (let i = 0; i < 1000; i++) log.note(`10.0.0.${i % 5}`, `imei ${i}`);
    expect(lines).toEqual(['first imei 0']);
    fire!();
    expect(lines).toEqual(['first imei 0', 'summary 999 10.0.0.1,10.0.0.2']);
    // A quiet interval writes nothing; the next event opens a new one.
    log.flush();
    log.note('10.0.0.9', 'imei x');
    expect(lines.at(-1)).toBe('first imei x');
    expect(lines).toHaveLength(3);
  });
});
