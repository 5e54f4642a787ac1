/**
 * Service alerts in a real hub: a dispatcher creates, edits and ends an alert; `/gtfs-rt/alerts`
 * (decoded with gtfs-realtime-bindings) carries it with its translations, active period and
 * informed entities, while it is in force.
 */
import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceAlert } from '../../../services/contracts/index.ts';
import { DOMAINS } from '../../../services/hub/domains.ts';
import { createTransitModule, transitDomain } from '../../../services/transit/module.ts';
import { startTestHub, type TestHub } from '../../support/hub.ts';
import { lineFeed } from '../realtime/feed-fixture.ts';

const decode = async (res: Response) => GtfsRealtimeBindings.transit_realtime.FeedMessage.decode(new Uint8Array(await res.arrayBuffer()));

describe('service alerts in the hub', () => {
  const feed = lineFeed();
  let t: TestHub;

  beforeAll(async () => {
    const domains = DOMAINS.map((d) => (d === transitDomain ? { ...transitDomain, create: (ctx: Parameters<typeof createTransitModule>[0]) => createTransitModule(ctx, () => feed) } : d));
    t = await startTestHub({ CITY_TZ: 'Europe/Kyiv' }, { domains });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('publishes a dispatcher\'s alert in GTFS-Realtime while it is in force, edited, then ended', async () => {
    const start = new Date(Date.now() - 60_000).toISOString();
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const body = {
      routeIds: ['R1'], stopIds: ['S3'], start, end,
      header: { uk: 'Зупинку перенесено', en: 'Stop moved' }, description: { uk: 'Ремонт дороги на вул. Велика Перспективна', en: 'Road works' },
    };
    const created = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: body });
    expect(created.status).toBe(201);
    const a = (await created.json()) as ServiceAlert;
    expect(a).toMatchObject({ routeIds: ['R1'], stopIds: ['S3'], start, end, state: 'active', createdBy: 'admin', header: body.header });

    const m = await decode(await fetch(`${t.httpUrl}/gtfs-rt/alerts`));
    expect(m.entity).toHaveLength(1);
    const e = m.entity[0]!;
    expect(e.id).toBe(`service-alert-${a.id}`);
    expect(e.alert!.headerText!.translation!.map((x) => [x.language, x.text])).toEqual([['uk', 'Зупинку перенесено'], ['en', 'Stop moved']]);
    expect(e.alert!.descriptionText!.translation!.map((x) => x.language)).toEqual(['uk', 'en']);
    expect(e.alert!.activePeriod!.map((p) => [Number(p.start), Number(p.end)])).toEqual([[Math.floor(Date.parse(start) / 1000), Math.floor(Date.parse(end) / 1000)]]);
    expect(e.alert!.informedEntity!.map((x) => [x.routeId || null, x.stopId || null])).toEqual([['R1', null], [null, 'S3']]);

    const put = await t.api(`/api/v1/transit/service-alerts/${a.id}`, { method: 'PUT', json: { ...body, stopIds: [], header: { uk: 'Маршрут 1 скорочено' } } });
    expect(put.status).toBe(200);
    const m2 = await decode(await fetch(`${t.httpUrl}/gtfs-rt/alerts`));
    expect(m2.entity[0]!.alert!.headerText!.translation!.map((x) => x.text)).toEqual(['Маршрут 1 скорочено']);
    expect(m2.entity[0]!.alert!.informedEntity!.map((x) => x.routeId)).toEqual(['R1']);

    const current = (await (await t.api('/api/v1/transit/service-alerts')).json()) as ServiceAlert[];
    expect(current.map((x) => x.id)).toEqual([a.id]);

    const del = await t.api(`/api/v1/transit/service-alerts/${a.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(((await del.json()) as ServiceAlert).state).toBe('ended');
    expect((await decode(await fetch(`${t.httpUrl}/gtfs-rt/alerts`))).entity).toEqual([]);
    expect((await (await t.api('/api/v1/transit/service-alerts')).json()) as ServiceAlert[]).toEqual([]);
    const ended = (await (await t.api('/api/v1/transit/service-alerts?state=ended')).json()) as ServiceAlert[];
    expect(ended.map((x) => [x.id, x.header.uk])).toEqual([[a.id, 'Маршрут 1 скорочено']]);
  });

  it('refuses an alert naming nothing, an unknown stop, an end before its start, and a display token', async () => {
    const header = { uk: 'Текст' };
    const none = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: { header } });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toContain('routeIds');
    const unknown = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: { stopIds: ['S3', 'NOPE'], header } });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { issues: { field: string; reason: string }[] }).issues).toEqual([{ field: 'stopIds.1', reason: 'stop NOPE is not in the GTFS feed' }]);
    const backwards = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: { routeIds: ['R1'], header, start: '2026-11-27T10:00:00Z', end: '2026-11-27T09:00:00Z' } });
    expect(backwards.status).toBe(400);
    expect(((await backwards.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toContain('end');
    const tok = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'board', roles: ['display'] } })).json()) as { token: string };
    const refused = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: { routeIds: ['R1'], header }, token: tok.token });
    expect(refused.status).toBe(403);
    expect((await t.api('/api/v1/transit/service-alerts/4242', { method: 'DELETE' })).status).toBe(404);
  });
});
