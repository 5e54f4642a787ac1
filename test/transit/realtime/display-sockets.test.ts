/**
 * A `display` token on the `/stops` namespace, in a real hub: it joins only the stops it is bound
 * to (transit_display_stops), and hears nothing namespace-wide (no snapshot, no board of a stop it
 * did not join), while a dispatcher listening namespace-wide hears every board.
 */
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type StopBoard } from '../../../services/contracts/index.ts';
import { DOMAINS } from '../../../services/hub/domains.ts';
import { createTransitModule, transitDomain } from '../../../services/transit/module.ts';
import { EVERY_DAY } from '../../support/gtfs-folder.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../../support/hub.ts';
import { at, lineFeed } from './feed-fixture.ts';

describe('display tokens on /stops', () => {
  const feed = lineFeed({ firstH: 0, lastH: 25 });
  feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
  let t: TestHub;
  let client: mqtt.MqttClient;
  let displayToken: string;
  const sockets: Socket[] = [];
  const connect = async (token: string) => {
    const s = io(`${t.httpUrl}/stops`, { auth: { token }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    const heard: { event: string; boards: StopBoard[] }[] = [];
    s.onAny((event: string, arg: unknown) => heard.push({ event, boards: Array.isArray(arg) ? (arg as StopBoard[]) : [] }));
    await new Promise((resolve, reject) => {
      s.on('connect', () => resolve(undefined));
      s.on('connect_error', reject);
    });
    return { s, heard };
  };

  beforeAll(async () => {
    const domains = DOMAINS.map((d) => (d === transitDomain ? { ...transitDomain, create: (ctx: Parameters<typeof createTransitModule>[0]) => createTransitModule(ctx, () => feed) } : d));
    t = await startTestHub({ CITY_TZ: 'Europe/Kyiv' }, { domains });
    const { secret } = await t.register({ id: 'trk-1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'BUS-1', routeId: 'R1' });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'trk-1', password: secret });
    const tok = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'board', roles: ['display'] } })).json()) as { token: string };
    displayToken = tok.token;
    const bind = await t.api('/api/v1/transit/displays/token:board/stops', { method: 'PUT', json: { stopIds: ['S3'] } });
    expect(bind.status).toBe(200);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await client?.endAsync();
    await t?.stop();
  });

  it('lets a display join its own stop only, and sends it nothing but that stop\'s board', async () => {
    const joined = await connect(displayToken);
    expect(await joined.s.emitWithAck('join', { room: 'stop:S2' })).toEqual({ ok: false, error: 'forbidden: this token may not join stop:S2' });
    expect(await joined.s.emitWithAck('join', { room: 'stop:S3' })).toEqual({ ok: true });
    // A display that joined nothing, and one that joined and left again.
    const idle = await connect(displayToken);
    const left = await connect(displayToken);
    expect(await left.s.emitWithAck('join', { room: 'stop:S3' })).toEqual({ ok: true });
    left.s.emit('leave', { room: 'stop:S3' });
    const dispatcher = await connect(ADMIN_TOKEN);

    const p = at(0);
    for (const dt of [-20_000, -10_000, 0]) await client.publishAsync(topics.position('trk-1'), JSON.stringify({ ts: Date.now() + dt, lat: p.lat, lon: p.lon, speedKmh: 0 }), { qos: 1 });

    // The namespace-wide dispatcher hears the boards of several stops ahead, S3 among them …
    await eventually(async () => {
      const stops = new Set(dispatcher.heard.filter((h) => h.event === 'arrivals').flatMap((h) => h.boards.map((b) => b.stopId)));
      return stops.has('S3') && stops.has('S2');
    });
    // … the display in room S3 hears S3's (pushed in the same tick as the namespace-wide batch) …
    const own = await eventually(async () => joined.heard.find((h) => h.event === 'arrivals'));
    expect(own.boards.map((b) => b.stopId)).toEqual(['S3']);
    expect(joined.heard.flatMap((h) => h.boards).every((b) => b.stopId === 'S3')).toBe(true);
    // … and the displays in no room heard nothing at all, not even a snapshot.
    expect(dispatcher.heard[0]!.event).toBe('snapshot');
    expect(idle.heard).toEqual([]);
    expect(left.heard).toEqual([]);
  });

  it('still lets a dispatcher join any stop', async () => {
    const dispatcher = await connect(ADMIN_TOKEN);
    expect(await dispatcher.s.emitWithAck('join', { room: 'stop:S2' })).toEqual({ ok: true });
  });
});
