import { createSocket } from 'node:dgram';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGt06Location, encodeGt06Login } from '../../simulators/protocols/gt06.ts';
import { TeltonikaTcpClient, encodeUdpAvlPacket } from '../../simulators/protocols/teltonika.ts';
import { WialonTcpClient } from '../../simulators/protocols/wialon.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';

interface TrackPoint { ts: string; lat: number; lon: number; speedKmh: number | null; deviceId: string; fix: boolean }

const DAY = 86_400_000;
/** Whole seconds: Wialon and GT06 carry time to the second. */
const now = Math.floor(Date.now() / 1000) * 1000;

/** Frames over real TCP and UDP sockets, through the hub's gateways, to the track endpoint. */
describe('tracker gateways in the hub, end to end', () => {
  let t: TestHub;
  const track = async (vehicle: string, n: number) =>
    eventually(async () => {
      const res = (await (await t.api(`/api/v1/transit/vehicles/${vehicle}/track?from=${new Date(now - 60 * DAY).toISOString()}&to=${new Date(now + 60_000).toISOString()}`)).json()) as TrackPoint[];
      return res.length >= n ? res : undefined;
    }, 10_000, `${n} points of ${vehicle}`);
  const live = async (vehicle: string) => ((await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; ts: string; lat: number }[]).find((v) => v.vehicleId === vehicle);

  beforeAll(async () => {
    t = await startTestHub();
    await t.register({ id: 'fmb-1', kind: 'tracker', protocol: 'teltonika', imei: '352093081452251', vehicleId: 'TB-501', routeId: 'T5' });
    await t.register({ id: 'fmb-2', kind: 'tracker', protocol: 'teltonika', imei: '352093081452252', vehicleId: 'TB-502' });
    await t.register({ id: 'wln-1', kind: 'tracker', protocol: 'wialon-ips', imei: '861230043907626', vehicleId: 'BUS-601' });
    await t.register({ id: 'gt-1', kind: 'tracker', protocol: 'gt06', imei: '868120145233604', vehicleId: 'BUS-701' });
  });
  afterAll(() => t?.stop());

  it('Teltonika TCP: a packet with out-of-order records and an old buffered one, all in the track in time order', async () => {
    const client = new TeltonikaTcpClient();
    expect(await client.connect('127.0.0.1', t.hub.ports.teltonika, '352093081452251')).toBe(true);
    const records = [
      { ts: now - 60_000, lat: 48.51, lon: 32.26, speedKmh: 31, courseDeg: 90, satellites: 9, io: { 239: 1, 16: 123456 } },
      { ts: now - 120_000, lat: 48.5, lon: 32.25, speedKmh: 22, satellites: 8 },
      { ts: now, lat: 48.52, lon: 32.27, speedKmh: 40, satellites: 10 },
      { ts: now - 40 * DAY, lat: 48.49, lon: 32.24, speedKmh: 0, satellites: 5 }, // black box from 40 days ago
    ];
    expect(await client.sendRecords(records)).toBe(4);
    client.close();
    const points = await track('TB-501', 4);
    expect(points.map((p) => Date.parse(p.ts))).toEqual([now - 40 * DAY, now - 120_000, now - 60_000, now]);
    expect(points.map((p) => p.lat)).toEqual([48.49, 48.5, 48.51, 48.52]);
    expect(points[2]).toMatchObject({ speedKmh: 31, deviceId: 'fmb-1', fix: true });
    // Live state is the newest record, whatever the order of arrival.
    expect(await live('TB-501')).toMatchObject({ lat: 48.52, ts: new Date(now).toISOString() });
  });

  it('Teltonika UDP: the ACK echoes packet and AVL packet ids, and the record lands', async () => {
    const sock = createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => sock.once('message', resolve));
    const packet = encodeUdpAvlPacket('352093081452252', 0xcafe, 0x07, [{ ts: now - 5000, lat: 48.53, lon: 32.28, speedKmh: 12, satellites: 7 }]);
    sock.send(packet, t.hub.ports.teltonikaUdp, '127.0.0.1');
    const ack = await reply;
    sock.close();
    expect(ack.toString('hex')).toBe('0005cafe010701');
    const points = await track('TB-502', 1);
    expect(points[0]).toMatchObject({ lat: 48.53, lon: 32.28, speedKmh: 12 });
  });

  it('Wialon IPS 2.0: login, a black box of records, #AB# with the count', async () => {
    const client = new WialonTcpClient('2.0');
    await client.connect('127.0.0.1', t.hub.ports.wialon);
    expect(await client.login('861230043907626')).toBe('1'); // #AL#1
    const answer = await client.sendBlackBox([
      { ts: now - 30_000, lat: 48.5111, lon: 32.2611, speedKmh: 25, courseDeg: 180, altitudeM: 120, satellites: 11 },
      { ts: now - 90_000, lat: 48.5101, lon: 32.2601, speedKmh: 20, courseDeg: 180, altitudeM: 118, satellites: 10 },
    ]);
    expect(answer).toBe('2'); // #AB#2
    client.close();
    const points = await track('BUS-601', 2);
    expect(points.map((p) => Date.parse(p.ts))).toEqual([now - 90_000, now - 30_000]);
    expect(points[1]!.lat).toBeCloseTo(48.5111, 4);
  });

  it('Wialon IPS: a record without a GPS fix is kept in history as such and does not move the vehicle', async () => {
    const client = new WialonTcpClient('2.0');
    await client.connect('127.0.0.1', t.hub.ports.wialon);
    expect(await client.login('861230043907626')).toBe('1');
    expect(await client.sendData({ ts: now + 1000, speedKmh: 0, satellites: 0 })).toBe('1'); // NA;NA coordinates: #AD#1
    client.close();
    const points = await track('BUS-601', 3);
    expect(points.at(-1)).toMatchObject({ ts: new Date(now + 1000).toISOString(), fix: false });
    expect(await live('BUS-601')).toMatchObject({ ts: new Date(now - 30_000).toISOString() });
  });

  it('Wialon IPS: an unknown IMEI is refused with #AL#0', async () => {
    const client = new WialonTcpClient('2.0');
    await client.connect('127.0.0.1', t.hub.ports.wialon);
    expect(await client.login('999999999999999')).toBe('0'); // #AL#0
    client.close();
  });

  it('GT06: login and a location packet, each echoed, the fix in the track', async () => {
    const sock = new Socket();
    const replies: Buffer[] = [];
    sock.on('data', (d: Buffer) => replies.push(d));
    await new Promise<void>((resolve) => sock.connect(t.hub.ports.gt06, '127.0.0.1', resolve));
    sock.write(encodeGt06Login('868120145233604', 1));
    await eventually(async () => replies.length >= 1, 5000, 'login echo');
    sock.write(encodeGt06Location({ ts: now - 10_000, lat: 48.5222, lon: 32.2777, speedKmh: 35, courseDeg: 45, satellites: 9 }, 2));
    await eventually(async () => Buffer.concat(replies).length >= 20, 5000, 'location echo');
    sock.destroy();
    const all = Buffer.concat(replies).toString('hex');
    expect(all.startsWith('78780501')).toBe(true); // login echo: protocol 0x01
    expect(all).toContain('78780522'); // location echo: protocol 0x22
    const points = await track('BUS-701', 1);
    expect(points[0]!.lat).toBeCloseTo(48.5222, 4);
    expect(points[0]!.speedKmh).toBe(35);
  });

  it('Teltonika: an unknown IMEI is refused with 00 and counted', async () => {
    const client = new TeltonikaTcpClient();
    expect(await client.connect('127.0.0.1', t.hub.ports.teltonika, '111111111111111')).toBe(false);
    client.close();
    const text = await (await t.api('/metrics', { token: null })).text();
    expect(text).toMatch(/mistohub_gateway_unknown_imei_total\{protocol="teltonika"\} 1|mistohub_gateway_unknown_imei_total 1/);
  });
});
