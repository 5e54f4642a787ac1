import { describe, expect, it } from 'vitest';
import { LightingCommandAck, LightingStatePayload } from '../../services/contracts/index.ts';
import { kyivTime } from '../../simulators/city/kyiv-time.ts';
import { controllerSpecFor, dayPlan, LightingControllerModel, scheduledLevel, type ControllerSpec } from '../../simulators/city/lighting-model.ts';
import { sunTimes } from '../../simulators/city/sun.ts';

const CENTRE = { lat: 48.5079, lon: 32.2623 };
/** A cabinet switching exactly at sunset and sunrise. */
const exact = { ...CENTRE, onOffsetMin: 0, offOffsetMin: 0 };
const at = (iso: string) => Date.parse(iso);
const day = (iso: string) => Math.floor(Date.parse(iso) / 86_400_000);
const localHm = (ms: number) => {
  const t = kyivTime(ms);
  return t.hour * 60 + t.minute;
};

function spec(overrides: Partial<ControllerSpec> = {}): ControllerSpec {
  return { ...controllerSpecFor({ id: 'demo-lc-001', ...CENTRE }, 1, false), ...overrides };
}

describe('sun times for Kropyvnytskyi', () => {
  it('match the almanac within a few minutes', () => {
    // Local (Kyiv) times of sunrise and sunset at 48.51 N, 32.26 E.
    const cases = [
      ['2025-06-21', 4 * 60 + 48, 20 * 60 + 56],
      ['2025-12-21', 7 * 60 + 40, 15 * 60 + 58],
      ['2025-03-20', 5 * 60 + 55, 18 * 60 + 6],
    ] as const;
    for (const [date, rise, set] of cases) {
      const s = sunTimes(day(date), CENTRE.lat, CENTRE.lon);
      expect(Math.abs(localHm(s.sunrise) - rise), `${date} sunrise`).toBeLessThanOrEqual(4);
      expect(Math.abs(localHm(s.sunset) - set), `${date} sunset`).toBeLessThanOrEqual(4);
    }
  });
});

describe('dimming schedule (Europe/Kyiv local time)', () => {
  it('is off by day, 100 % in the evening, 50 % from 23:00, 30 % from 01:00, 100 % from 05:00 until sunrise (winter)', () => {
    // 2025-01-15 is EET, UTC+2; sunset ≈ 16:20, sunrise ≈ 07:40 local.
    expect(scheduledLevel(at('2025-01-15T10:00:00Z'), exact)).toBe(0); // 12:00
    expect(scheduledLevel(at('2025-01-15T15:30:00Z'), exact)).toBe(100); // 17:30
    expect(scheduledLevel(at('2025-01-15T20:59:00Z'), exact)).toBe(100); // 22:59
    expect(scheduledLevel(at('2025-01-15T21:01:00Z'), exact)).toBe(50); // 23:01
    expect(scheduledLevel(at('2025-01-15T22:30:00Z'), exact)).toBe(50); // 00:30
    expect(scheduledLevel(at('2025-01-15T23:30:00Z'), exact)).toBe(30); // 01:30
    expect(scheduledLevel(at('2025-01-16T02:59:00Z'), exact)).toBe(30); // 04:59
    expect(scheduledLevel(at('2025-01-16T03:01:00Z'), exact)).toBe(100); // 05:01
    expect(scheduledLevel(at('2025-01-16T05:00:00Z'), exact)).toBe(100); // 07:00
    expect(scheduledLevel(at('2025-01-16T06:30:00Z'), exact)).toBe(0); // 08:30
  });

  it('follows sunset and sunrise through the year (summer nights are short)', () => {
    // 2025-06-21 is EEST, UTC+3; sunset ≈ 20:56, sunrise ≈ 04:48.
    expect(scheduledLevel(at('2025-06-21T17:30:00Z'), exact)).toBe(0); // 20:30, still light
    expect(scheduledLevel(at('2025-06-21T18:30:00Z'), exact)).toBe(100); // 21:30
    expect(scheduledLevel(at('2025-06-21T20:30:00Z'), exact)).toBe(50); // 23:30
    expect(scheduledLevel(at('2025-06-22T00:30:00Z'), exact)).toBe(30); // 03:30
    expect(scheduledLevel(at('2025-06-22T02:00:00Z'), exact)).toBe(0); // 05:00, sun is up
  });

  it('switches on the local clock across the spring DST change (2025-03-30, 03:00 → 04:00)', () => {
    // Before the change (UTC+2) and after it (UTC+3).
    expect(scheduledLevel(at('2025-03-29T22:30:00Z'), exact)).toBe(50); // 00:30 EET
    expect(scheduledLevel(at('2025-03-30T00:30:00Z'), exact)).toBe(30); // 02:30 EET
    expect(scheduledLevel(at('2025-03-30T01:30:00Z'), exact)).toBe(30); // 04:30 EEST
    // 02:05 UTC is 05:05 EEST: the morning step to 100 %. With a fixed UTC+2 it would be 04:05 (30 %).
    expect(scheduledLevel(at('2025-03-30T02:05:00Z'), exact)).toBe(100);
    expect(scheduledLevel(at('2025-03-30T20:05:00Z'), exact)).toBe(50); // 23:05 EEST
    expect(scheduledLevel(at('2025-03-30T19:55:00Z'), exact)).toBe(100); // 22:55 EEST
  });

  it('switches on the local clock across the autumn DST change (2025-10-26, 04:00 → 03:00)', () => {
    expect(scheduledLevel(at('2025-10-25T20:30:00Z'), exact)).toBe(50); // 23:30 EEST
    expect(scheduledLevel(at('2025-10-25T22:30:00Z'), exact)).toBe(30); // 01:30 EEST
    // 02:30 UTC is 04:30 EET (30 %); with a fixed UTC+3 it would be 05:30 (100 %).
    expect(scheduledLevel(at('2025-10-26T02:30:00Z'), exact)).toBe(30);
    expect(scheduledLevel(at('2025-10-26T03:05:00Z'), exact)).toBe(100); // 05:05 EET
    expect(scheduledLevel(at('2025-10-26T20:55:00Z'), exact)).toBe(100); // 22:55 EET
    expect(scheduledLevel(at('2025-10-26T21:05:00Z'), exact)).toBe(50); // 23:05 EET
  });

  it('plans each local day as contiguous intervals from midnight to midnight, DST days included', () => {
    for (const date of ['2025-03-30', '2025-10-26', '2025-06-21', '2025-01-15']) {
      const plan = dayPlan(day(date), exact);
      const hours = (plan[plan.length - 1]!.to - plan[0]!.from) / 3_600_000;
      expect(hours).toBe(date === '2025-03-30' ? 23 : date === '2025-10-26' ? 25 : 24);
      for (let i = 1; i < plan.length; i++) expect(plan[i]!.from).toBe(plan[i - 1]!.to);
      for (const p of plan) expect(scheduledLevel((p.from + p.to) / 2, exact)).toBe(p.level);
    }
  });
});

describe('lighting controller model', () => {
  it('reports the scheduled level with power in line with it, a steady voltage and a growing register', () => {
    const s = spec();
    const m = new LightingControllerModel(s);
    let lastEnergy = -1;
    const from = at('2025-11-10T00:00:00Z');
    for (let t = from; t < from + 2 * 86_400_000; t += 5 * 60_000) {
      const p = m.state(t)!;
      expect(p).not.toBeNull();
      expect(LightingStatePayload.safeParse(p).success).toBe(true);
      expect(p.level).toBe(scheduledLevel(t, s));
      expect(p.on).toBe(p.level > 0);
      const nominal = (s.lamps * s.lampW * p.level) / 100;
      if (p.level === 0) expect(p.powerW).toBe(0);
      else {
        expect(p.powerW! / nominal).toBeGreaterThan(0.97);
        expect(p.powerW! / nominal).toBeLessThan(1.08);
      }
      expect(p.voltageV).toBeGreaterThan(224);
      expect(p.voltageV).toBeLessThan(236);
      expect(p.energyKWh!).toBeGreaterThanOrEqual(lastEnergy);
      lastEnergy = p.energyKWh!;
    }
  });

  it('adds up the night: the register grows by the integral of the schedule', () => {
    const s = spec();
    const m = new LightingControllerModel(s);
    const dusk = at('2025-11-10T12:00:00Z');
    const dawn = at('2025-11-11T08:00:00Z');
    const e0 = m.state(dusk)!.energyKWh!;
    let expected = 0;
    for (let t = dusk; t < dawn; t += 60_000) expected += (s.lamps * s.lampW * 1.04 * scheduledLevel(t + 30_000, s)) / 100 / 1000 / 60;
    for (let t = dusk; t <= dawn; t += 10 * 60_000) m.state(t);
    expect(m.state(dawn)!.energyKWh! - e0).toBeCloseTo(expected, 0);
    expect(expected).toBeGreaterThan(0);
  });

  it('continues the same register after a restart', () => {
    const s = spec();
    const running = new LightingControllerModel(s);
    const from = at('2025-11-10T00:00:00Z');
    for (let t = from; t <= from + 86_400_000; t += 15_000) running.state(t);
    const restarted = new LightingControllerModel(s);
    expect(restarted.state(from + 86_400_000)!.energyKWh).toBeCloseTo(running.state(from + 86_400_000)!.energyKWh!, 2);
  });

  it('obeys set-level until expiresAt, then falls back to the schedule, and acknowledges', () => {
    const s = spec();
    const m = new LightingControllerModel(s);
    const night = at('2025-11-10T20:00:00Z'); // 22:00 local: 100 % scheduled
    m.state(night);
    const ack = m.command({ cmdId: 'c1', ts: night, action: 'set-level', level: 40, expiresAt: night + 3_600_000 }, night);
    expect(ack).toEqual({ cmdId: 'c1', ts: new Date(night).toISOString(), status: 'applied' });
    expect(LightingCommandAck.safeParse(ack).success).toBe(true);
    expect(m.state(night + 60_000)!.level).toBe(40);
    expect(m.state(night + 3_599_000)!.level).toBe(40);
    expect(m.state(night + 3_600_000)!.level).toBe(scheduledLevel(night + 3_600_000, s));
  });

  it('switches off and on by command, and resumes the schedule', () => {
    const s = spec();
    const m = new LightingControllerModel(s);
    const night = at('2025-11-10T23:00:00Z'); // 01:00 local: 30 %
    expect(m.command({ cmdId: 'off', ts: night, action: 'off' }, night)!.status).toBe('applied');
    const off = m.state(night + 1000)!;
    expect(off.level).toBe(0);
    expect(off.on).toBe(false);
    expect(off.powerW).toBe(0);
    expect(m.command({ cmdId: 'on', ts: night, action: 'on' }, night + 2000)!.status).toBe('applied');
    expect(m.state(night + 3000)!.level).toBe(100);
    expect(m.command({ cmdId: 'resume', ts: night, action: 'resume-schedule' }, night + 4000)!.status).toBe('applied');
    expect(m.state(night + 5000)!.level).toBe(30);
    // Energy counted what actually burned: less than the schedule's while it was off.
    const day = at('2025-11-11T10:00:00Z');
    expect(m.command({ cmdId: 'day-on', ts: day, action: 'on', expiresAt: day + 600_000 }, day)!.status).toBe('applied');
    const e1 = m.state(day + 1000)!.energyKWh!;
    const e2 = m.state(day + 301_000)!.energyKWh!;
    expect(e2 - e1).toBeCloseTo((s.lamps * s.lampW * 1.04 * 300) / 3600 / 1000, 2);
  });

  it('rejects what it cannot obey, with a reason', () => {
    const m = new LightingControllerModel(spec());
    const now = at('2025-11-10T20:00:00Z');
    const noLevel = m.command({ cmdId: 'a', ts: now, action: 'set-level' }, now)!;
    expect(noLevel.status).toBe('rejected');
    expect(noLevel.reason).toMatch(/level/);
    const expired = m.command({ cmdId: 'b', ts: now, action: 'off', expiresAt: now - 1000 }, now)!;
    expect(expired.status).toBe('rejected');
    expect(expired.reason).toMatch(/expiresAt/);
    const bad = m.command({ cmdId: 'c', ts: now, action: 'explode' }, now)!;
    expect(bad.status).toBe('rejected');
    expect(bad.reason).toMatch(/action/);
    expect(LightingCommandAck.safeParse(bad).success).toBe(true);
    // Nothing to answer to.
    expect(m.command({ action: 'off' }, now)).toBeNull();
    expect(m.command('off', now)).toBeNull();
    expect(m.state(now + 1000)!.level).toBe(100);
  });

  it('rejects dimming while its dimming driver has failed, but still switches', () => {
    const m = new LightingControllerModel(controllerSpecFor({ id: 'demo-lc-007', ...CENTRE }, 1, true));
    let t = at('2025-11-01T00:00:00Z');
    while (m.fault(t) !== 'power-mismatch') t += 5 * 60_000;
    const dim = m.command({ cmdId: 'dim', ts: t, action: 'set-level', level: 40 }, t)!;
    expect(dim.status).toBe('rejected');
    expect(dim.reason).toMatch(/dimming driver fault/);
    expect(m.command({ cmdId: 'full', ts: t, action: 'on' }, t)!.status).toBe('applied');
    expect(m.command({ cmdId: 'off', ts: t, action: 'off' }, t)!.status).toBe('applied');
    expect(m.state(t + 1000)?.level ?? 0).toBe(0);
  });

  it('applies a redelivered command once and acknowledges it again', () => {
    const s = spec();
    const m = new LightingControllerModel(s);
    const now = at('2025-11-10T20:00:00Z');
    const cmd = { cmdId: 'dup', ts: now, action: 'set-level', level: 60, expiresAt: now + 60_000 };
    expect(m.command(cmd, now)!.status).toBe('applied');
    expect(m.state(now + 61_000)!.level).toBe(100);
    // The same command again after it expired: acknowledged, not applied a second time.
    expect(m.command(cmd, now + 62_000)!.status).toBe('applied');
    expect(m.state(now + 63_000)!.level).toBe(100);
  });

  it('has occasional faults when asked to: failed lamps, silence, voltage out of range, lit by day, door open', () => {
    const m = new LightingControllerModel(controllerSpecFor({ id: 'demo-lc-007', ...CENTRE }, 1, true));
    const s = m.spec;
    const from = at('2025-09-01T00:00:00Z');
    let silent = 0;
    let failedLamps = 0;
    let badVoltage = 0;
    let litByDay = 0;
    let doorOpen = 0;
    let samples = 0;
    let lastEnergy = 0;
    for (let t = from; t < from + 60 * 86_400_000; t += 5 * 60_000) {
      samples++;
      const p = m.state(t);
      if (!p) {
        silent++;
        continue;
      }
      expect(LightingStatePayload.safeParse(p).success).toBe(true);
      expect(p.energyKWh!).toBeGreaterThanOrEqual(lastEnergy);
      lastEnergy = p.energyKWh!;
      if (p.lamps?.some((l) => l.faults?.includes('lamp-failure'))) failedLamps++;
      if (p.voltageV! < 207 || p.voltageV! > 253) badVoltage++;
      if (p.on && scheduledLevel(t, s) === 0) litByDay++;
      if (p.doorOpen) doorOpen++;
    }
    expect(silent).toBeGreaterThan(0);
    expect(failedLamps).toBeGreaterThan(0);
    expect(badVoltage).toBeGreaterThan(0);
    expect(litByDay).toBeGreaterThan(0);
    expect(doorOpen).toBeGreaterThan(0);
    expect(doorOpen).toBeLessThan(samples * 0.01);
    // Occasional: most of the time the cabinet is healthy.
    expect(silent + badVoltage + litByDay).toBeLessThan(samples * 0.05);
  });
});
