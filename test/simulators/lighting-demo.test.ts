import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerState, LightingCommandRecord, LightingGroup } from '../../services/contracts/index.ts';
import { demoCity } from '../../simulators/city/demo-city.ts';
import { DEMO_SCHEDULE, setUpDemoLighting } from '../../simulators/city/lighting-demo.ts';
import { startCitySimulator, type CitySimulator } from '../../simulators/city/run-city.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';

describe('the demo city lighting on a real hub', () => {
  const cabinets = demoCity({ vehicles: 0, controllers: 6, meters: 0 }).filter((d) => d.kind === 'lighting-controller');
  let t: TestHub;
  let sim: CitySimulator | undefined;
  const credentials = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestHub();
    for (const d of cabinets) credentials.set(d.id, (await t.register(d)).secret);
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    await t?.stop();
  });

  it('groups the cabinets by district with the demo schedule, and leaves existing groups alone on a restart', async () => {
    const first = await setUpDemoLighting({ baseUrl: t.httpUrl, token: ADMIN_TOKEN, devices: cabinets });
    const districts = [...new Set(cabinets.map((d) => d.groupId!))].sort();
    expect([...first.created].sort()).toEqual(districts);
    const groups = (await (await t.api('/api/v1/lighting/groups')).json()) as LightingGroup[];
    expect(groups.map((g) => g.groupId).sort()).toEqual(districts);
    for (const g of groups) {
      expect(g.hasSchedule).toBe(true);
      expect([...g.controllerIds].sort()).toEqual(cabinets.filter((d) => d.groupId === g.groupId).map((d) => d.id).sort());
      expect(g.name).toMatch(/\(демо\)$/);
    }
    const schedule = await (await t.api(`/api/v1/lighting/groups/${districts[0]}/schedule`)).json();
    expect(schedule).toMatchObject({ on: DEMO_SCHEDULE.on, off: DEMO_SCHEDULE.off, steps: DEMO_SCHEDULE.steps });

    // An operator renames a group; the next start keeps it.
    const g0 = groups[0]!;
    expect((await t.api(`/api/v1/lighting/groups/${g0.groupId}`, { method: 'PUT', json: { name: 'Renamed', controllerIds: g0.controllerIds } })).status).toBe(200);
    const again = await setUpDemoLighting({ baseUrl: t.httpUrl, token: ADMIN_TOKEN, devices: cabinets });
    expect(again.created).toEqual([]);
    expect(again.kept.sort()).toEqual(districts);
    expect(((await (await t.api(`/api/v1/lighting/groups/${g0.groupId}`)).json()) as LightingGroup).name).toBe('Renamed');

    await expect(setUpDemoLighting({ baseUrl: t.httpUrl, token: 'not-a-valid-token-0123456789', devices: cabinets })).rejects.toThrow(/listing groups: 401/);
  });

  it('the simulated cabinets obey a group override: acknowledged commands and the new level reported', async () => {
    sim = startCitySimulator({ mqttUrl: `mqtt://127.0.0.1:${t.mqttPort}`, credentials, devices: cabinets, faults: false, connectSpreadMs: 200, intervalMs: { lighting: 2_000 } });
    const groupId = cabinets[0]!.groupId!;
    const members = cabinets.filter((d) => d.groupId === groupId).map((d) => d.id);
    // Wait until the hub has heard every cabinet, so commands are sent at once.
    await eventually(async () => {
      const live = (await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[];
      return members.every((id) => live.some((c) => c.controllerId === id));
    }, 30_000, 'every cabinet of the group reporting');
    const res = await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { groupId, level: 37, expiresAt: new Date(Date.now() + 600_000).toISOString() } });
    expect(res.status).toBe(201);
    for (const id of members) {
      const cmd = await eventually(async () => {
        const list = (await (await t.api(`/api/v1/lighting/commands?controllerId=${id}`)).json()) as LightingCommandRecord[];
        return list.find((c) => c.level === 37 && c.state === 'acknowledged');
      }, 30_000, `the override acknowledged by ${id}`);
      expect(cmd.source).toMatch(/^override:/);
    }
    await eventually(async () => {
      const live = (await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[];
      return members.every((id) => live.find((c) => c.controllerId === id)?.level === 37);
    }, 30_000, 'the cabinets reporting level 37');
    expect(sim.stats().commandsApplied).toBeGreaterThanOrEqual(members.length);
  }, 90_000);
});
