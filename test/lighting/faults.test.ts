import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FAULT_SETTINGS, type Device, type LightingFault, type LightingState } from '../../services/contracts/index.ts';
import { LIGHTING_MIGRATIONS } from '../../services/lighting/dispatch/migrations.ts';
import { findFaults } from '../../services/lighting/faults/evaluate.ts';
import { FaultTable } from '../../services/lighting/faults/fault-table.ts';
import { FaultMonitor } from '../../services/lighting/faults/monitor.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { applyDomainMigrations, openRegistryDb, type Db } from '../../services/registry/database.ts';
import { sqliteRegistry } from '../../services/registry/sqlite-registry.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { connectCabinet } from './cabinet-client.ts';

const CITY = { lat: 48.5079, lon: 32.2623 };
const T0 = Date.parse('2026-06-15T09:00:00Z'); // noon in Kyiv, sun high
const NIGHT = Date.parse('2026-06-15T22:00:00Z');
const state = (s: Partial<LightingState>): LightingState => ({ ts: T0, level: 100, on: true, ...s });
const codes = (list: { code: string; lampId: string }[]) => list.map((f) => (f.lampId ? `${f.code}:${f.lampId}` : f.code)).sort();

describe('which faults a cabinet has (pure)', () => {
  const s = DEFAULT_FAULT_SETTINGS;
  it('lamp faults the cabinet reports, per lamp', () => {
    expect(codes(findFaults({ state: state({ lamps: [{ id: 'L1', faults: ['lamp-failure'] }, { id: 'L2' }] }), receivedMs: T0 }, s, T0, false))).toEqual(['lamp-failure:L1']);
  });
  it('no communication after the silence setting', () => {
    const c = { state: state({}), receivedMs: T0 };
    expect(codes(findFaults(c, s, T0 + 20 * 60_000, false))).toEqual([]);
    expect(codes(findFaults(c, s, T0 + 20 * 60_000 + 1, false))).toEqual(['no-communication']);
  });
  it('burning by day: on while the plan says off and the sun is up', () => {
    const c = { state: state({ level: 60 }), receivedMs: T0, desiredLevel: 0 };
    expect(codes(findFaults(c, s, T0, true))).toEqual(['burning-by-day']);
    expect(codes(findFaults(c, s, T0, false))).toEqual([]);
    expect(codes(findFaults({ ...c, desiredLevel: 60 }, s, T0, true))).toEqual([]);
    expect(codes(findFaults({ ...c, state: state({ level: 0, on: false }) }, s, T0, true))).toEqual([]);
  });
  it('power out of line with the level, within the tolerance setting', () => {
    const c = (powerW: number, level = 50) => ({ state: state({ level, powerW }), receivedMs: T0, ratedW: 1000 });
    expect(codes(findFaults(c(500), s, T0, false))).toEqual([]);
    expect(codes(findFaults(c(690), s, T0, false))).toEqual([]);
    expect(codes(findFaults(c(710), s, T0, false))).toEqual(['power-mismatch']);
    expect(codes(findFaults(c(290), s, T0, false))).toEqual(['power-mismatch']);
    expect(codes(findFaults(c(710), { ...s, powerTolerancePct: 30 }, T0, false))).toEqual([]);
    expect(codes(findFaults({ ...c(500), ratedW: undefined }, s, T0, false))).toEqual([]);
  });
  it('door open while the cabinet says so', () => {
    expect(codes(findFaults({ state: state({ doorOpen: true }), receivedMs: T0 }, s, T0, false))).toEqual(['door-open']);
    expect(codes(findFaults({ state: state({ doorOpen: false }), receivedMs: T0 }, s, T0, false))).toEqual([]);
    expect(codes(findFaults({ state: state({}), receivedMs: T0 }, s, T0, false))).toEqual([]);
  });
  it('voltage out of range', () => {
    expect(codes(findFaults({ state: state({ voltageV: 206 }), receivedMs: T0 }, s, T0, false))).toEqual(['voltage-out-of-range']);
    expect(codes(findFaults({ state: state({ voltageV: 230 }), receivedMs: T0 }, s, T0, false))).toEqual([]);
    expect(codes(findFaults({ state: state({ voltageV: 254 }), receivedMs: T0 }, s, T0, false))).toEqual(['voltage-out-of-range']);
  });
});

describe('the fault monitor on a registry database, with the real sun', () => {
  const dir = makeTempDir('lighting-faults');
  let db: Db;
  const cab = { id: 'cab-1', kind: 'lighting-controller', enabled: true } as Device;
  beforeAll(() => {
    db = openRegistryDb(dir.path);
    applyDomainMigrations(db, LIGHTING_MIGRATIONS, () => T0);
  });
  afterAll(() => {
    db.close();
    dir.remove();
  });

  it('raises, keeps and clears each fault, with its history', async () => {
    const table = new FaultTable(sqliteRegistry(db));
    await table.load();
    const monitor = new FaultMonitor(table, CITY);
    monitor.observe(cab, state({ level: 80 }), T0);
    // noon, the plan says off: burning by day
    expect(await monitor.sweep([cab], () => 0, T0)).toEqual({ raised: 1, cleared: 0 });
    expect(await monitor.sweep([cab], () => 0, T0 + 1000)).toEqual({ raised: 0, cleared: 0 });
    // the same at night is no fault: cleared
    monitor.observe(cab, state({ level: 80 }), NIGHT);
    expect(await monitor.sweep([cab], () => 0, NIGHT)).toEqual({ raised: 0, cleared: 1 });
    // silence
    expect(await monitor.sweep([cab], () => 80, NIGHT + 21 * 60_000)).toEqual({ raised: 1, cleared: 0 });
    expect(table.codesOf('cab-1')).toEqual(['no-communication']);
    monitor.observe(cab, state({ level: 80 }), NIGHT + 22 * 60_000);
    expect(await monitor.sweep([cab], () => 80, NIGHT + 22 * 60_000)).toEqual({ raised: 0, cleared: 1 });
    const history = await table.list({ limit: 10 });
    expect(history.map((f) => [f.code, f.clearedAt !== null])).toEqual([['no-communication', true], ['burning-by-day', true]]);
    // a hub restart reads the active faults back and does not raise them twice
    monitor.observe(cab, state({ voltageV: 190 }), NIGHT + 23 * 60_000);
    expect(await monitor.sweep([cab], () => 80, NIGHT + 23 * 60_000)).toEqual({ raised: 1, cleared: 0 });
    const reread = new FaultTable(sqliteRegistry(db));
    await reread.load();
    const again = new FaultMonitor(reread, CITY);
    again.observe(cab, state({ voltageV: 190 }), NIGHT + 24 * 60_000);
    expect(await again.sweep([cab], () => 80, NIGHT + 24 * 60_000)).toEqual({ raised: 0, cleared: 0 });
  });
});

describe('faults over REST from real MQTT cabinets', () => {
  let t: TestHub;
  let secret: string;
  beforeAll(async () => {
    t = await startTestHub({}, { domains: [lightingDomainWith({ tickMs: 150 })] });
    secret = (await t.register({ id: 'cab-f', kind: 'lighting-controller', protocol: 'mqtt' })).secret;
  });
  afterAll(async () => {
    await t?.stop();
  });
  const faults = async (q = '') => (await (await t.api(`/api/v1/lighting/faults?controllerId=cab-f${q}`)).json()) as LightingFault[];

  it('a lamp failure, a voltage, a power and a door fault are raised, acknowledged and cleared', async () => {
    expect((await t.api('/api/v1/lighting/controllers/cab-f/rating', { method: 'PUT', json: { ratedW: 0 } })).status).toBe(400);
    expect((await t.api('/api/v1/lighting/controllers/cab-f/rating', { method: 'PUT', json: { ratedW: 1000 } })).status).toBe(200);
    const badSettings = await t.api('/api/v1/lighting/fault-settings', { method: 'PUT', json: { ...DEFAULT_FAULT_SETTINGS, voltageMinV: 260 } });
    expect(((await badSettings.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual(['voltageMaxV']);

    const c = await connectCabinet(t.mqttPort, 'cab-f', secret);
    try {
      await c.client.publishAsync('v1/lighting/cab-f/state', JSON.stringify({
        ts: new Date().toISOString(), level: 50, on: true, powerW: 900, voltageV: 270, doorOpen: true, lamps: [{ id: 'L3', faults: ['lamp-failure'] }],
      }), { qos: 1 });
      const raised = await eventually(async () => {
        const list = await faults('&active=true');
        return list.length === 4 ? list : null;
      }, 10_000, 'four active faults');
      expect(raised.map((f) => `${f.code}:${f.lampId ?? ''}`).sort()).toEqual(['door-open:', 'lamp-failure:L3', 'power-mismatch:', 'voltage-out-of-range:']);
      const lamp = raised.find((f) => f.code === 'lamp-failure')!;
      const acked = (await (await t.api(`/api/v1/lighting/faults/${lamp.id}/ack`, { method: 'POST' })).json()) as LightingFault;
      expect(acked).toMatchObject({ id: lamp.id, ackedBy: 'admin', clearedAt: null });
      expect(acked.ackedAt).not.toBeNull();
      expect((await t.api('/api/v1/lighting/faults/99999/ack', { method: 'POST' })).status).toBe(404);

      await c.client.publishAsync('v1/lighting/cab-f/state', JSON.stringify({ ts: new Date().toISOString(), level: 50, on: true, powerW: 500, voltageV: 231, doorOpen: false, lamps: [{ id: 'L3' }] }), { qos: 1 });
      await eventually(async () => (await faults('&active=true')).length === 0, 10_000, 'every fault cleared');
      const history = await faults('&active=false');
      expect(history).toHaveLength(4);
      expect(history.find((f) => f.id === lamp.id)).toMatchObject({ ackedBy: 'admin' });
      expect(history.every((f) => f.clearedAt !== null)).toBe(true);
    } finally {
      await c.close();
    }
  });
});
