import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceMessage, EnergyUnit } from '../../services/contracts/index.ts';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';
import { startEnergyHarness, type EnergyHarness } from './harness.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;
const days = localIntervals('2026-01-05', '2026-03-02', 'day', TZ); // 8 weeks from a Monday
const NOW = days[days.length - 1]!.end + H;

/** Hourly consumption by meter for local day index `d` (0 = Monday 5 January) and local hour `h`. */
function use(meter: string, d: number, h: number): number {
  const weekday = d % 7 < 5;
  const wobble = 1 + (((d * 31 + h * 17) % 11) - 5) / 100;
  if (meter === 'EM-1') {
    if (d === 44 && h < 5) return 8; // Wednesday 18 February: the lights stayed on all night
    if (d === 50 && h === 14) return 80; // Tuesday 24 February, 14:00: a spike
    return (weekday && h >= 8 && h < 17 ? 20 : 3) * wobble;
  }
  if (meter === 'EM-2') return 50 * wobble; // a hospital: flat
  if (meter === 'WM-1') {
    if (d === 47 && h < 6) return 0.05; // Saturday 21 February: water ran all night
    return weekday && h >= 8 && h < 17 ? 0.2 * wobble : 0;
  }
  return 1;
}

let h: EnergyHarness;
beforeAll(async () => {
  h = await startEnergyHarness({ now: () => NOW });
  await h.meter('EM-1', { buildingId: 'school-5', resource: 'electricity', unit: 'kWh' });
  await h.meter('EM-2', { buildingId: 'hosp-1', resource: 'electricity', unit: 'kWh' });
  await h.meter('WM-1', { buildingId: 'school-5', resource: 'water', unit: 'm3' });
  await h.meter('EM-3', { buildingId: 'hosp-1', resource: 'electricity', unit: 'kWh' });
  const registers: Record<string, number> = { 'EM-1': 0, 'EM-2': 0, 'WM-1': 0, 'EM-3': 0 };
  const units: Record<string, EnergyUnit> = { 'EM-1': 'kWh', 'EM-2': 'kWh', 'WM-1': 'm3', 'EM-3': 'kWh' };
  let batch: DeviceMessage[] = [];
  for (const [d, day] of days.entries()) {
    for (let ts = day.start, hour = 0; ts <= day.end; ts += H, hour++) {
      if (ts === day.end && d < days.length - 1) break;
      for (const id of Object.keys(registers)) {
        if (id === 'EM-3' && ts > NOW - 10 * H) continue; // silent for the last 10 hours
        batch.push({ channel: 'energy-reading', deviceId: id, ts, payload: { ts, value: Math.round(registers[id]! * 1e4) / 1e4, unit: units[id]! } });
        registers[id]! += use(id, d, hour);
      }
    }
    await h.pipeline.accept(batch, 'mqtt');
    batch = [];
  }
  h.module.flush();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('anomalies', () => {
  it('the injected ones are found with their evidence, and nothing else in four normal weeks', async () => {
    const scan = await h.call('POST', '/api/v1/energy/anomalies/scan', { from: '2026-02-02', to: '2026-03-02' });
    expect(scan.status).toBe(200);
    const list = (await h.call('GET', '/api/v1/energy/anomalies')).json as { meterId: string; kind: string; start: string; evidence: Record<string, number>; state: string; buildingId: string }[];
    const seen = list.map((a) => `${a.meterId} ${a.kind} ${a.start}`).sort();
    expect(seen).toEqual([
      `EM-1 night-baseload ${new Date(days[44]!.start).toISOString()}`,
      `EM-1 spike ${new Date(days[50]!.start).toISOString()}`,
      `EM-3 silent ${new Date(NOW - 10 * H).toISOString()}`,
      `WM-1 night-flow ${new Date(days[47]!.start).toISOString()}`,
    ].sort());
    expect(scan.json.found).toBe(4);
    const night = list.find((a) => a.kind === 'night-baseload')!;
    expect(night).toMatchObject({ state: 'new', buildingId: 'school-5' });
    expect(night.evidence.nightMeanPerHour).toBe(8);
    expect(night.evidence.usualPerHour).toBeCloseTo(3, 0);
    expect(list.find((a) => a.kind === 'spike')!.evidence).toMatchObject({ localHour: 14, value: 80 });
    // A second scan finds them again and keeps one of each.
    expect((await h.call('POST', '/api/v1/energy/anomalies/scan', { from: '2026-02-02', to: '2026-03-02' })).json.found).toBe(0);
  });

  it('are acknowledged, then resolved; a resolved one stays resolved', async () => {
    const [leak] = (await h.call('GET', '/api/v1/energy/anomalies?kind=night-flow')).json as { id: number }[];
    const ack = await h.call('PATCH', `/api/v1/energy/anomalies/${leak!.id}`, { state: 'acknowledged' });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ state: 'acknowledged', updatedBy: 'token:energy-test' });
    expect((await h.call('GET', '/api/v1/energy/anomalies?state=new')).json).toHaveLength(3);
    expect((await h.call('PATCH', `/api/v1/energy/anomalies/${leak!.id}`, { state: 'resolved' })).json.state).toBe('resolved');
    const again = await h.call('PATCH', `/api/v1/energy/anomalies/${leak!.id}`, { state: 'acknowledged' });
    expect(again.status).toBe(409);
    expect((await h.call('PATCH', `/api/v1/energy/anomalies/${leak!.id}`, { state: 'new' })).status).toBe(400);
    expect((await h.call('PATCH', '/api/v1/energy/anomalies/99999', { state: 'resolved' })).status).toBe(404);
    expect((await h.call('GET', '/api/v1/energy/anomalies?buildingId=hosp-1')).json.map((a: { kind: string }) => a.kind)).toEqual(['silent']);
  });
});
