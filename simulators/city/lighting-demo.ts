/**
 * The demo city's street-lighting dispatch: one group per district with the cabinets the demo
 * registered there, and a night schedule for each, created through the hub's REST API like an
 * operator would. Groups that exist already are left as they are (an operator may have changed
 * them since the last start), so a restart of the demo does not undo anyone's work.
 */
import type { DeviceCreate, LightingScheduleInput } from '../../services/contracts/index.ts';
import { DISTRICTS } from './demo-city.ts';

/** The demo's night: on 10 min after sunset, 50 % from 23:00, 30 % 01:00–05:00, full until 15 min before sunrise. */
export const DEMO_SCHEDULE: LightingScheduleInput = {
  on: { event: 'sunset', offsetMin: 10 },
  off: { event: 'sunrise', offsetMin: -15 },
  steps: [
    { from: '23:00', level: 50 },
    { from: '01:00', level: 30 },
    { from: '05:00', level: 100 },
  ],
  minOnMin: 60,
  // Friday and Saturday evenings stay brighter until 01:00.
  weekdays: [{ days: [5, 6], steps: [{ from: '01:00', level: 50 }, { from: '05:00', level: 100 }] }],
};

export interface DemoLightingResult {
  /** groups created now (existing ones are left alone) */
  created: string[];
  kept: string[];
}

/**
 * Creates the demo's lighting groups and their schedules on the hub at `baseUrl` with an admin
 * (or lighting) token. Cabinets (MQTT or OPC UA) with a `groupId` are grouped; throws with the hub's
 * answer when a request is refused.
 */
export async function setUpDemoLighting(opts: { baseUrl: string; token: string; devices: readonly DeviceCreate[] }): Promise<DemoLightingResult> {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = { authorization: `Bearer ${opts.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${opts.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  };
  const must = async (res: Response, what: string): Promise<void> => {
    if (!res.ok) throw new Error(`demo lighting: ${what}: ${res.status} ${await res.text()}`);
  };

  const listed = await call('GET', '/api/v1/lighting/groups');
  await must(listed, 'listing groups');
  const existing = new Set(((await listed.json()) as { groupId: string }[]).map((g) => g.groupId));
  // A cabinet already in some group (moved by an operator) stays where it is.
  const grouped = new Set<string>();
  for (const id of existing) {
    const res = await call('GET', `/api/v1/lighting/groups/${encodeURIComponent(id)}`);
    if (res.ok) for (const c of ((await res.json()) as { controllerIds: string[] }).controllerIds) grouped.add(c);
  }

  const byGroup = new Map<string, string[]>();
  for (const d of opts.devices) {
    if (d.kind !== 'lighting-controller' || !d.groupId || grouped.has(d.id)) continue;
    byGroup.set(d.groupId, [...(byGroup.get(d.groupId) ?? []), d.id]);
  }
  const result: DemoLightingResult = { created: [], kept: [] };
  for (const [groupId, controllerIds] of byGroup) {
    if (existing.has(groupId)) {
      result.kept.push(groupId);
      continue;
    }
    const district = DISTRICTS.find((x) => x.id === groupId);
    const name = `${district?.uk ?? groupId} (демо)`;
    await must(await call('PUT', `/api/v1/lighting/groups/${encodeURIComponent(groupId)}`, { name, controllerIds }), `creating group ${groupId}`);
    await must(await call('PUT', `/api/v1/lighting/groups/${encodeURIComponent(groupId)}/schedule`, DEMO_SCHEDULE), `setting the schedule of ${groupId}`);
    result.created.push(groupId);
  }
  for (const id of existing) if (!result.kept.includes(id)) result.kept.push(id);
  return result;
}
