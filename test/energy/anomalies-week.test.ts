import { describe, expect, it } from 'vitest';
import { detectDayAnomalies, REFERENCE_DAYS } from '../../services/energy/anomalies/detect.ts';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';
import type { HourValue } from '../../services/energy/consumption/registers.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;
// Monday 2 March 2026 … : 28 reference days, then two weeks scanned (the spring-forward Sunday 29 March inside)
const all = localIntervals('2026-03-02', '2026-04-13', 'day', TZ);
const reference = all.slice(0, REFERENCE_DAYS);
const scan = all.slice(REFERENCE_DAYS);

/** An office: 20 kWh an hour 08–17 on weekdays, 3 otherwise, with a small wobble; `extra` changes some days. */
function hours(extra: (dayIndex: number, hour: number, usual: number) => number = (_d, _h, u) => u): HourValue[] {
  const out: HourValue[] = [];
  all.forEach((day, d) => {
    const weekday = d % 7 < 5;
    for (let ts = day.start, hour = 0; ts < day.end; ts += H, hour++) {
      const usual = (weekday && hour >= 8 && hour < 17 ? 20 : 3) * (1 + (((d * 31 + hour * 17) % 11) - 5) / 100);
      out.push({ start: ts, value: extra(d, hour, usual), estimated: false });
    }
  });
  return out;
}
const found = (hs: HourValue[], resource: 'electricity' | 'water' | 'heat' = 'electricity') =>
  detectDayAnomalies('EM-1', resource, hs, reference, scan, TZ).map((f) => `${f.kind} ${new Date(f.start).toISOString()}`);
const iso = (d: number) => new Date(all[d]!.start).toISOString();

describe('weekend baseload and a day far above its usual (pure)', () => {
  it('two normal weeks (a 23-hour Sunday among them) raise nothing', () => {
    expect(found(hours())).toEqual([]);
  });

  it('a Saturday with the ventilation left on all day is weekend-baseload, with its evidence', () => {
    const saturday = REFERENCE_DAYS + 5; // Saturday 4 April
    const findings = detectDayAnomalies('EM-1', 'electricity', hours((d, _h, u) => (d === saturday ? u + 4 : u)), reference, scan, TZ);
    const weekend = findings.filter((f) => f.kind === 'weekend-baseload');
    expect(weekend).toHaveLength(1);
    expect(weekend[0]!.start).toBe(all[saturday]!.start);
    expect(weekend[0]!.evidence.usualPerHour).toBeCloseTo(3, 0);
    expect(weekend[0]!.evidence.ratio).toBeGreaterThan(2);
    expect(weekend[0]!.evidence.weekendDays).toBe(8);
    // a weekday with the extra in working hours is no weekend anomaly (and not 1.5 × its usual total either)
    expect(found(hours((d, h, u) => (d === REFERENCE_DAYS + 2 && h >= 8 && h < 17 ? u + 4 : u)))).toEqual([]);
  });

  it('a day 1.5 × the usual total of its weekday is above-baseline for electricity and water, not for heat (it has a degree-day model)', () => {
    const thursday = REFERENCE_DAYS + 10; // Thursday 9 April
    const doubled = hours((d, h, u) => (d === thursday && h >= 8 && h < 17 ? u * 1.8 : u));
    expect(found(doubled)).toEqual([`above-baseline ${iso(thursday)}`]);
    const [f] = detectDayAnomalies('EM-1', 'electricity', doubled, reference, scan, TZ);
    expect(f!.evidence).toMatchObject({ basis: 'median of the same weekday' });
    expect(Number(f!.evidence.ratio)).toBeGreaterThan(1.5);
    expect(found(doubled, 'water').filter((k) => !k.startsWith('night-flow'))).toEqual([`above-baseline ${iso(thursday)}`]); // (water all night is a leak too)
    expect(found(doubled, 'heat')).toEqual([]);
  });

  it('without four earlier weekend days there is no verdict', () => {
    const saturday = REFERENCE_DAYS + 5;
    const hs = hours((d, _h, u) => (d === saturday ? u + 4 : u)).filter((h) => h.start >= all[REFERENCE_DAYS - 5]!.start);
    expect(found(hs).filter((k) => k.startsWith('weekend'))).toEqual([]);
  });
});
