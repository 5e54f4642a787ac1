/**
 * Operations alerts in a real hub: with a timetable running and no vehicle on its trips, the hub
 * raises `no-vehicle` alerts, lists them by REST, pushes them on `/transit` (event `opsAlerts`),
 * and a dispatcher acknowledges one.
 */
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsAlert } from '../../../services/contracts/index.ts';
import { DOMAINS } from '../../../services/hub/domains.ts';
import { createTransitModule, transitDomain } from '../../../services/transit/module.ts';
import { EVERY_DAY } from '../../support/gtfs-folder.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../../support/hub.ts';
import { lineFeed } from '../realtime/feed-fixture.ts';

describe('operations alerts in the hub', () => {
  // Trips every 2 minutes all day, every day (each runs 8 minutes): whenever the test runs, some
  // started more than 3 minutes ago and have not ended, with nobody on them.
  const feed = lineFeed({ headwayMin: 2, firstH: 0, lastH: 25 });
  feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
  let t: TestHub;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const domains = DOMAINS.map((d) => (d === transitDomain ? { ...transitDomain, create: (ctx: Parameters<typeof createTransitModule>[0]) => createTransitModule(ctx, () => feed) } : d));
    t = await startTestHub({ CITY_TZ: 'Europe/Kyiv' }, { domains });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.stop();
  });

  it('raises trips with no vehicle, pushes them, and takes a dispatcher\'s acknowledgement', async () => {
    const s = io(`${t.httpUrl}/transit`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    const pushed: OpsAlert[] = [];
    s.on('opsAlerts', (list: OpsAlert[]) => pushed.push(...list));
    await new Promise((resolve) => s.on('connect', () => resolve(undefined)));

    const alerts = await eventually(async () => {
      const list = (await (await t.api('/api/v1/transit/ops-alerts')).json()) as OpsAlert[];
      return list.length > 0 && list;
    }, 20_000);
    expect(alerts.every((a) => a.kind === 'no-vehicle' && a.state === 'open' && a.routeId === 'R1' && /^T[01]-\d+$/.test(a.tripId!))).toBe(true);
    const first = alerts[0]!;
    await eventually(async () => pushed.some((a) => a.id === first.id && a.state === 'open'));

    const display = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'board', roles: ['display'] } })).json()) as { token: string };
    const refused = await fetch(`${t.httpUrl}/api/v1/transit/ops-alerts/${first.id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${display.token}` } });
    expect(refused.status).toBe(403);

    const ack = await t.api(`/api/v1/transit/ops-alerts/${first.id}/ack`, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ id: first.id, state: 'acknowledged', acknowledgedBy: 'admin' });
    await eventually(async () => pushed.some((a) => a.id === first.id && a.state === 'acknowledged'));
    const acked = (await (await t.api('/api/v1/transit/ops-alerts?state=acknowledged')).json()) as OpsAlert[];
    expect(acked.map((a) => a.id)).toEqual([first.id]);

    const missing = await t.api('/api/v1/transit/ops-alerts/999999/ack', { method: 'POST' });
    expect(missing.status).toBe(404);
    const bad = await t.api('/api/v1/transit/ops-alerts?state=gone');
    expect(bad.status).toBe(400);
  });
});
