import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightingCommandRecord, LightingOverride, LightingScheduleInput, PlanEntry } from '../../services/contracts/index.ts';
import { LightingSchedule } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { zoneOf } from '../../services/lighting/schedule/local-time.ts';
import { plan, scheduledAt } from '../../services/lighting/schedule/plan.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { connectCabinet, type TestCabinet } from './cabinet-client.ts';

const CITY = { lat: 48.5079, lon: 32.2623 };
const KYIV = zoneOf('Europe/Kyiv');
const ENV = { CITY_TZ: 'Europe/Kyiv', CITY_LAT: String(CITY.lat), CITY_LON: String(CITY.lon) };
/** Short timings so retries and timeouts happen within a test; the algorithm is the production one. */
const DOMAINS = [lightingDomainWith({ tickMs: 150, retry: { ackTimeoutMs: 400, maxAttempts: 3, onlineWindowMs: 60_000, reassertAfterMs: 3_600_000 } })];

/**
 * On all day but the minute 11:59–12:00 local, 70 % from 12:00 to 11:59: the level a command
 * carries is checked against scheduledAt() at the command's own creation, so the test does not
 * depend on the time of day it runs at.
 */
const ALL_DAY: LightingScheduleInput = { on: { event: 'time', time: '12:00' }, off: { event: 'time', time: '11:59' }, steps: [{ from: '12:00', level: 70 }] };
const scheduledLevel = (createdAt: string) => scheduledAt(LightingSchedule.parse(ALL_DAY), Date.parse(createdAt), CITY, KYIV).level;

describe('lighting dispatch against a real hub and real MQTT cabinets', () => {
  const data = makeTempDir('lighting-dispatch');
  let t: TestHub;
  const cabinets: TestCabinet[] = [];
  const secrets = new Map<string, string>();

  const commands = async (controllerId: string) => (await (await t.api(`/api/v1/lighting/commands?controllerId=${controllerId}`)).json()) as LightingCommandRecord[];
  const cabinet = async (id: string) => {
    const c = await connectCabinet(t.mqttPort, id, secrets.get(id)!);
    cabinets.push(c);
    return c;
  };
  /** the newest command of a cabinet once it is in one of the states */
  const commandIn = (id: string, ...states: LightingCommandRecord['state'][]) =>
    eventually(async () => (await commands(id)).find((c, i) => i === 0 && states.includes(c.state)), 10_000, `${id}'s newest command in ${states.join('/')}`);

  beforeAll(async () => {
    t = await startTestHub(ENV, { domains: DOMAINS, dataDir: data.path });
    for (const id of ['cab-1', 'cab-2', 'cab-3', 'cab-4', 'cab-5']) secrets.set(id, (await t.register({ id, kind: 'lighting-controller', protocol: 'mqtt' })).secret);
    await t.register({ id: 'meter-1', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-1' });
  });
  afterAll(async () => {
    await Promise.all(cabinets.map((c) => c.close().catch(() => undefined)));
    await t?.stop();
    data.remove();
  });

  it('refuses a group naming unknown or non-lighting devices, field by field', async () => {
    const res = await t.api('/api/v1/lighting/groups/centre', { method: 'PUT', json: { name: 'Centre', controllerIds: ['cab-1', 'nope', 'meter-1'] } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { field: string; reason: string }[] };
    expect(body.issues).toEqual([
      { field: 'controllerIds.1', reason: 'no device nope is registered' },
      { field: 'controllerIds.2', reason: 'meter-1 is a energy-meter, not a lighting-controller' },
    ]);
    expect((await t.api('/api/v1/lighting/groups/centre', { method: 'PUT', json: { name: 'Centre', controllerIds: ['cab-1'], extra: 1 } })).status).toBe(400);
    expect((await t.api('/api/v1/lighting/groups/centre', { method: 'PUT', token: null, json: { name: 'Centre', controllerIds: [] } })).status).toBe(401);
  });

  it('keeps OPC UA controller models with node ids and scales, refusing bad node ids by field', async () => {
    const model = {
      name: 'Vendor X cabinet',
      read: { level: { nodeId: 'ns=2;s=Cab.DimLevel', scale: 0.1 }, on: 'ns=2;s=Cab.Relay', powerW: { nodeId: 'ns=2;s=Cab.PowerKW', scale: 1000 }, voltageV: 'ns=2;i=1005' },
      write: { level: { nodeId: 'ns=2;s=Cab.DimSetpoint', scale: 0.1 } },
    };
    const put = await t.api('/api/v1/lighting/models/vendor-x', { method: 'PUT', json: model });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ modelId: 'vendor-x', ...model });
    expect(await (await t.api('/api/v1/lighting/models/vendor-x')).json()).toMatchObject(model);
    const bad = await t.api('/api/v1/lighting/models/vendor-y', { method: 'PUT', json: { ...model, read: { ...model.read, on: 'Cab.Relay' }, write: { level: { nodeId: 'ns=2;s=X', scale: 0 } } } });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { issues: { field: string }[] }).issues.map((i) => i.field);
    expect(fields).toEqual(['read.on', 'write.level.scale']);
    expect((await t.api('/api/v1/lighting/models/vendor-y')).status).toBe(404);
  });

  it('keeps a schedule per group and shows its plan, one entry per local evening', async () => {
    expect((await t.api('/api/v1/lighting/groups/centre/schedule', { method: 'PUT', json: ALL_DAY })).status).toBe(404);
    expect((await t.api('/api/v1/lighting/groups/centre', { method: 'PUT', json: { name: 'Centre', controllerIds: ['cab-1', 'cab-2', 'cab-3'] } })).status).toBe(200);
    const bad = await t.api('/api/v1/lighting/groups/centre/schedule', { method: 'PUT', json: { on: { event: 'time' }, off: { event: 'sunrise' } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toContain('on.time');
    const astro: LightingScheduleInput = { on: { event: 'sunset', offsetMin: 10 }, off: { event: 'sunrise', offsetMin: -10 }, steps: [{ from: '23:00', level: 50 }, { from: '05:00', level: 100 }] };
    expect((await t.api('/api/v1/lighting/groups/centre/schedule', { method: 'PUT', json: astro })).status).toBe(200);
    const res = await t.api('/api/v1/lighting/groups/centre/plan?from=2026-10-24&to=2026-10-27');
    expect(res.status).toBe(200);
    const entries = (await res.json()) as PlanEntry[];
    expect(entries.map((e) => e.date)).toEqual(['2026-10-24', '2026-10-25', '2026-10-26']);
    expect(entries).toEqual(plan(LightingSchedule.parse(astro), '2026-10-24', '2026-10-27', CITY, KYIV));
    // 23:00 local is 20:00Z in summer time, 21:00Z after the autumn change
    expect(entries[0]!.steps[1]!.at).toBe('2026-10-24T20:00:00.000Z');
    expect(entries[1]!.steps[1]!.at).toBe('2026-10-25T21:00:00.000Z');
    const range = await t.api('/api/v1/lighting/groups/centre/plan?from=2026-10-24&to=2026-10-24');
    expect(((await range.json()) as { issues: unknown[] }).issues).toEqual([{ field: 'to', reason: 'must be after from' }]);
    const audit = (await (await t.api('/api/v1/audit')).json()) as { action: string; target: string }[];
    expect(audit.map((a) => `${a.action} ${a.target}`)).toEqual(expect.arrayContaining(['lighting.group.put centre', 'lighting.schedule.put centre']));
  });

  it('drives a cabinet from the plan; its cmd/ack is kept before the PUBACK', async () => {
    expect((await t.api('/api/v1/lighting/groups/centre/schedule', { method: 'PUT', json: ALL_DAY })).status).toBe(200);
    const c = await cabinet('cab-1');
    await c.reportState(0);
    const cmd = await eventually(async () => c.received.at(-1), 10_000, 'a command on cab-1');
    const [row] = await commands('cab-1');
    expect(row).toMatchObject({ cmdId: cmd.cmdId, state: 'sent', source: 'schedule', attempts: 1 });
    expect(cmd.level ?? 0).toBe(scheduledLevel(row!.createdAt));
    expect(cmd.action).toBe(scheduledLevel(row!.createdAt) > 0 ? 'set-level' : 'off');
    expect(cmd.expiresAt).toBe(Date.parse(row!.expiresAt));
    await c.ack(cmd.cmdId);
    // the PUBACK came back: the registry already says so
    expect((await commands('cab-1'))[0]).toMatchObject({ cmdId: cmd.cmdId, state: 'acknowledged' });
  });

  it('an override takes over at once, a rejection is shown, DELETE resumes the schedule', async () => {
    const c = cabinets.find((x) => x.id === 'cab-1')!;
    const bad = await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'cab-1', level: 30, expiresAt: '2020-01-01T00:00:00Z' } });
    expect(((await bad.json()) as { issues: unknown[] }).issues).toEqual([{ field: 'expiresAt', reason: 'must be in the future' }]);
    const both = await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'cab-1', groupId: 'centre', level: 30, expiresAt: new Date(Date.now() + 600_000).toISOString() } });
    expect(both.status).toBe(400);

    const res = await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { groupId: 'centre', level: 30, expiresAt: new Date(Date.now() + 600_000).toISOString() } });
    expect(res.status).toBe(201);
    const group = (await res.json()) as LightingOverride;
    const cmd = await eventually(async () => c.received.find((m) => m.level === 30), 10_000, 'the override on cab-1');
    expect((await commands('cab-1'))[0]).toMatchObject({ cmdId: cmd.cmdId, source: `override:${group.id}` });
    // an emergency on the one cabinet outranks the operator's group override
    const em = (await (await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'cab-1', level: 100, priority: 'emergency', expiresAt: new Date(Date.now() + 600_000).toISOString() } })).json()) as LightingOverride;
    const emCmd = await eventually(async () => c.received.find((m) => m.level === 100 && m.cmdId !== cmd.cmdId), 10_000, 'the emergency on cab-1');
    expect((await commands('cab-1')).find((x) => x.cmdId === cmd.cmdId)).toMatchObject({ state: 'expired', detail: `superseded by ${emCmd.cmdId}` });
    await c.ack(emCmd.cmdId, 'rejected', 'relay stuck');
    expect((await commands('cab-1'))[0]).toMatchObject({ cmdId: emCmd.cmdId, state: 'rejected', detail: 'relay stuck' });

    expect((await t.api(`/api/v1/lighting/overrides/${em.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await t.api(`/api/v1/lighting/overrides/${em.id}`, { method: 'DELETE' })).status).toBe(409);
    const back = await eventually(async () => c.received.find((m) => m.level === 30 && m.cmdId !== cmd.cmdId), 10_000, 'back to the group override');
    await c.ack(back.cmdId);
    expect((await t.api(`/api/v1/lighting/overrides/${group.id}`, { method: 'DELETE' })).status).toBe(200);
    const resumed = await commandIn('cab-1', 'sent');
    expect(resumed.source).toBe('schedule');
    expect(resumed.level).toBe(scheduledLevel(resumed.createdAt));
    await c.ack(resumed.cmdId);
    const active = (await (await t.api('/api/v1/lighting/overrides')).json()) as LightingOverride[];
    expect(active).toEqual([]);
    const audit = (await (await t.api('/api/v1/audit')).json()) as { action: string; target: string }[];
    expect(audit.filter((a) => a.action.startsWith('lighting.override.')).map((a) => `${a.action} ${a.target}`)).toEqual(
      expect.arrayContaining([`lighting.override.create ${group.id}`, `lighting.override.delete ${em.id}`, `lighting.override.delete ${group.id}`]),
    );
  });

  it('a cabinet that talks but never acknowledges gets the command again with backoff, then it is failed', async () => {
    const c = await cabinet('cab-2');
    await c.reportState(0);
    const first = await eventually(async () => c.received[0], 10_000, 'a command on cab-2');
    // it keeps reporting (so it is not offline), never acks
    const done = await eventually(async () => {
      await c.reportState(0);
      return (await commands('cab-2')).find((x) => x.cmdId === first.cmdId && x.state === 'failed');
    }, 15_000, 'cab-2 command failed');
    expect(done).toMatchObject({ attempts: 3, detail: 'no acknowledgement after 3 sends' });
    expect(c.received.filter((m) => m.cmdId === first.cmdId)).toHaveLength(3);
  });

  it('a cabinet that drops off gets the command when it comes back; an expired command never fires', async () => {
    let c = await cabinet('cab-3');
    await c.reportState(0);
    const first = await eventually(async () => c.received[0], 10_000, 'a command on cab-3');
    await c.ack(first.cmdId);
    await c.close();

    // while it is away: an override that expires, then one that does not
    const short = (await (await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'cab-3', level: 10, expiresAt: new Date(Date.now() + 2_500).toISOString() } })).json()) as LightingOverride;
    const shortCmd = await eventually(async () => (await commands('cab-3')).find((x) => x.source === `override:${short.id}`), 10_000, 'the short override command');
    await eventually(async () => (await commands('cab-3')).find((x) => x.cmdId === shortCmd.cmdId && x.state === 'expired'), 10_000, 'the short override expired');
    const long = (await (await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'cab-3', level: 40, expiresAt: new Date(Date.now() + 600_000).toISOString() } })).json()) as LightingOverride;
    const waiting = await eventually(async () => (await commands('cab-3')).find((x) => x.source === `override:${long.id}` && x.state === 'pending'), 10_000, 'the long override waiting');
    expect(waiting.detail).toMatch(/sent again when it is heard from/);

    c = await cabinet('cab-3');
    await c.reportState(0);
    const got = await eventually(async () => c.received.find((m) => m.cmdId === waiting.cmdId), 10_000, 'the waiting command after the return');
    expect(got.level).toBe(40);
    await c.ack(got.cmdId);
    expect((await commands('cab-3')).find((x) => x.cmdId === waiting.cmdId)).toMatchObject({ state: 'acknowledged' });
    expect(c.received.map((m) => m.cmdId)).not.toContain(shortCmd.cmdId);
  });

  it('commands survive a restart of the hub', async () => {
    // cab-4 is in no group: an override gives it a command, which it never hears before the restart
    const c0 = await cabinet('cab-4');
    await c0.reportState(0);
    await c0.close();
    const o = (await (await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'cab-4', level: 55, expiresAt: new Date(Date.now() + 600_000).toISOString() } })).json()) as LightingOverride;
    const pending = await eventually(async () => (await commands('cab-4')).find((x) => x.source === `override:${o.id}` && x.state === 'pending' && x.attempts >= 1), 10_000, 'cab-4 waiting');

    await t.stop();
    t = await startTestHub(ENV, { domains: DOMAINS, dataDir: data.path });
    expect((await commands('cab-4'))[0]).toMatchObject({ cmdId: pending.cmdId, state: 'pending' });
    const c = await cabinet('cab-4');
    await c.reportState(0);
    const got = await eventually(async () => c.received.find((m) => m.cmdId === pending.cmdId), 10_000, 'the pending command after the restart');
    expect(got.level).toBe(55);
    await c.ack(got.cmdId);
    expect((await commands('cab-4'))[0]).toMatchObject({ cmdId: pending.cmdId, state: 'acknowledged' });
  });
});
