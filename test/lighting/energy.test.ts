import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cabinetsEnergy, intervals, slotEnergy, SLOT_MS } from '../../services/lighting/energy/energy.ts';
import { zoneOf } from '../../services/lighting/schedule/local-time.ts';
import type { HistoryPoint, HistoryStore } from '../../services/store/history-store.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { SqliteHistoryStore } from '../../services/store/sqlite-store.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const KYIV = zoneOf('Europe/Kyiv');
const H = 3_600_000;

describe('local intervals (pure)', () => {
  it('days are 23, 24 or 25 hours long across DST, months start at local midnight', () => {
    const days = intervals('2026-10-24', '2026-10-27', 'day', KYIV);
    expect(days.map((d) => new Date(d.start).toISOString())).toEqual(['2026-10-23T21:00:00.000Z', '2026-10-24T21:00:00.000Z', '2026-10-25T22:00:00.000Z']);
    expect(days.map((d) => (d.end - d.start) / H)).toEqual([24, 25, 24]);
    const spring = intervals('2026-03-29', '2026-03-30', 'day', KYIV);
    expect((spring[0]!.end - spring[0]!.start) / H).toBe(23);
    const months = intervals('2026-10-15', '2026-12-01', 'month', KYIV);
    expect(months.map((m) => [new Date(m.start).toISOString(), new Date(m.end).toISOString()])).toEqual([
      ['2026-09-30T21:00:00.000Z', '2026-10-31T22:00:00.000Z'],
      ['2026-10-31T22:00:00.000Z', '2026-11-30T22:00:00.000Z'],
    ]);
  });
});

describe('slot energy (pure)', () => {
  it('takes the rise of the register, falls back to power × time, and scales dimmed slots to full power', () => {
    const out = slotEnergy([
      { ts: 0, lastKWh: 100, meanPowerW: 500, meanLevel: 50 },
      { ts: SLOT_MS, lastKWh: 100.125, meanPowerW: 500, meanLevel: 50 },
      // The register went back (a replaced meter): power × 15 min instead.
      { ts: 2 * SLOT_MS, lastKWh: 3, meanPowerW: 1000, meanLevel: 100 },
      { ts: 3 * SLOT_MS, lastKWh: null, meanPowerW: 0, meanLevel: 0 },
    ]);
    expect(out[0]).toEqual({ ts: 0, kWh: 0.125, fullKWh: 0.25 });
    expect(out[1]).toEqual({ ts: SLOT_MS, kWh: 0.125, fullKWh: 0.25 });
    expect(out[2]).toEqual({ ts: 2 * SLOT_MS, kWh: 0.25, fullKWh: 0.25 });
    expect(out[3]).toEqual({ ts: 3 * SLOT_MS, kWh: 0, fullKWh: 0 });
  });
});

/**
 * A 1 kW cabinet over the autumn DST weekend, a state every 5 min: 100 % 15:00–20:00 UTC, 50 %
 * 20:00–04:00 UTC, off by day; its register integrates the power.
 */
function cabinetPoints(): { points: HistoryPoint[]; reg: (ms: number) => number; lit: (from: number, to: number) => number } {
  const levelAt = (ms: number) => {
    const h = new Date(ms).getUTCHours();
    return h >= 15 && h < 20 ? 100 : h >= 20 || h < 4 ? 50 : 0;
  };
  const start = Date.parse('2026-10-24T12:00:00Z');
  const end = Date.parse('2026-10-26T12:00:00Z');
  const step = 5 * 60_000;
  const points: HistoryPoint[] = [];
  const regs = new Map<number, number>();
  let reg = 5000;
  for (let t = start; t <= end; t += step) {
    if (t > start) reg += (levelAt(t - step) * 10 * step) / H / 1000;
    regs.set(t, reg);
    const level = levelAt(t);
    points.push({ measurement: 'lighting_state', tags: { device: 'cab-e' }, ts: t, fields: { level, on: level > 0, powerW: level * 10, energyKWh: Math.round(reg * 1000) / 1000 } });
  }
  const lastBefore = (ms: number) => {
    let best = start;
    for (const t of regs.keys()) if (t < ms && t > best) best = t;
    return regs.get(best)!;
  };
  const lit = (from: number, to: number) => {
    let h = 0;
    for (let t = Math.max(from, start); t < Math.min(to, end); t += step) if (levelAt(t) > 0) h += step / H;
    return h;
  };
  return { points, reg: lastBefore, lit };
}

function describeEnergyOn(name: string, open: () => Promise<{ store: HistoryStore; cleanup: () => Promise<void> }>) {
  describe(`lighting energy from the ${name} store`, () => {
    let store: HistoryStore;
    let cleanup: () => Promise<void>;
    const c = cabinetPoints();
    beforeAll(async () => {
      ({ store, cleanup } = await open());
      store.registerMeasurement({ name: 'lighting_state', tags: ['group'] });
      for (let i = 0; i < c.points.length; i += 200) await store.write(c.points.slice(i, i + 200));
    }, 60_000);
    afterAll(async () => cleanup?.());

    it('sums each local day (the 25-hour one too) from the register, with the saving against full power', async () => {
      const ivs = intervals('2026-10-24', '2026-10-27', 'day', KYIV);
      const got = await cabinetsEnergy(store, ['cab-e'], ivs);
      expect(got).toHaveLength(3);
      for (const [i, iv] of ivs.entries()) {
        const kWh = c.reg(iv.end) - c.reg(iv.start);
        expect(got[i]!.kWh, `day ${i} kWh`).toBeCloseTo(kWh, 2);
        // At full power the lit hours burn 1 kW; slot edges shift this by at most a 5-minute step.
        expect(Math.abs(got[i]!.fullPowerKWh - c.lit(iv.start, iv.end)), `day ${i} full power`).toBeLessThan(0.1);
        expect(got[i]!.savedKWh).toBeCloseTo(got[i]!.fullPowerKWh - got[i]!.kWh, 2);
      }
      expect(got[1]!.savedKWh).toBeGreaterThan(3);
      const month = await cabinetsEnergy(store, ['cab-e'], intervals('2026-10-01', '2026-11-01', 'month', KYIV));
      expect(month).toHaveLength(1);
      expect(month[0]!.kWh).toBeCloseTo(got.reduce((s, d) => s + d.kWh, 0), 2);
      // Nothing for a cabinet the store never heard of.
      expect((await cabinetsEnergy(store, ['nobody'], ivs)).map((d) => d.kWh)).toEqual([0, 0, 0]);
    });
  });
}

describeEnergyOn('sqlite', async () => {
  const dir = makeTempDir('lighting-energy');
  const store = new SqliteHistoryStore({ dataDir: dir.path });
  await store.init();
  return { store, cleanup: async () => { await store.close(); dir.remove(); } };
});

let influx: RunningInfluxd | undefined;
describeEnergyOn('influxdb', async () => {
  influx = await startInfluxd();
  const store = new InfluxHistoryStore({ url: influx.url, database: `lighting_energy_${process.pid}` });
  await store.init();
  return { store, cleanup: async () => { await store.close(); await influx?.stop(); } };
});

describe('GET /api/v1/lighting/energy', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
    await t.register({ id: 'cab-1', kind: 'lighting-controller', protocol: 'mqtt' });
    expect((await t.api('/api/v1/lighting/groups/g1', { method: 'PUT', json: { name: 'G', controllerIds: ['cab-1'] } })).status).toBe(200);
  }, 60_000);
  afterAll(async () => t?.stop());

  it('answers one entry per local day or month, and names the field it refuses', async () => {
    const days = (await (await t.api('/api/v1/lighting/energy?groupId=g1&from=2026-10-24&to=2026-10-27')).json()) as { start: string; kWh: number }[];
    expect(days.map((d) => d.start)).toEqual(['2026-10-23T21:00:00.000Z', '2026-10-24T21:00:00.000Z', '2026-10-25T22:00:00.000Z']);
    expect(days.every((d) => d.kWh === 0)).toBe(true);
    const months = (await (await t.api('/api/v1/lighting/energy?controllerId=cab-1&from=2026-01-01&to=2026-03-01&interval=month')).json()) as unknown[];
    expect(months).toHaveLength(2);
    const both = await t.api('/api/v1/lighting/energy?groupId=g1&controllerId=cab-1&from=2026-10-24&to=2026-10-27');
    expect(both.status).toBe(400);
    expect(((await both.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toContain('groupId');
    const backwards = await t.api('/api/v1/lighting/energy?groupId=g1&from=2026-10-27&to=2026-10-24');
    expect(((await backwards.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toContain('to');
    expect((await t.api('/api/v1/lighting/energy?groupId=nope&from=2026-10-24&to=2026-10-27')).status).toBe(404);
    expect((await t.api('/api/v1/lighting/energy?controllerId=cab-1&from=2020-01-01&to=2026-01-01')).status).toBe(400);
  });
});
