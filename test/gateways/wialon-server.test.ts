import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWialonGateway } from '../../gateways/wialon/server.ts';
import type { Gateway } from '../../gateways/common/types.ts';
import { wialonPackets, WialonTcpClient } from '../../simulators/protocols/wialon.ts';
import type { WialonRecordInput } from '../../simulators/protocols/wialon.ts';
import { lookupFrom, metricValue, RawClient, RecordingIngest } from './support.ts';

const IMEI = '353976013445485';
let ingest: RecordingIngest;
let registry: Registry;
let gw: Gateway;
const clients: Array<{ close(): void }> = [];

async function start(limits = {}) {
  gw = await startWialonGateway({
    host: '127.0.0.1',
    port: 0,
    ingest,
    registry,
    limits,
    lookupTracker: lookupFrom([
      { protocol: 'wialon-ips', imei: IMEI, deviceId: 'trk-wialon-1' },
      { protocol: 'teltonika', imei: '111111111111111', deviceId: 'not-wialon' },
    ]),
  });
}

async function client(version: '2.0' | '1.1' = '2.0'): Promise<WialonTcpClient> {
  const c = new WialonTcpClient(version, 2_000);
  clients.push(c);
  await c.connect('127.0.0.1', gw.port);
  expect(await c.login(IMEI)).toBe('1');
  return c;
}

const rec = (ts: number, i = 0): WialonRecordInput => ({ ts, lat: 48.5079 + i / 1000, lon: 32.2623, speedKmh: 25, courseDeg: 180, altitudeM: 130, satellites: 8, hdop: 0.9, params: { '239': 1, fuel: 45.5 } });

beforeEach(async () => {
  ingest = new RecordingIngest();
  registry = new Registry();
  await start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await gw.close();
});

describe('Wialon IPS gateway', () => {
  it('2.0: login #AL#1, #D# answered #AD#1 after the hub accepted it, every field kept', async () => {
    const c = await client();
    const ts = Date.UTC(2026, 3, 5, 6, 7, 8);
    expect(await c.sendData(rec(ts))).toBe('1');
    expect(ingest.accepted).toEqual([
      {
        channel: 'position',
        deviceId: 'trk-wialon-1',
        ts,
        payload: { ts, lat: 48.5079, lon: 32.2623, speedKmh: 25, courseDeg: 180, altitudeM: 130, satellites: 8, hdop: 0.9, fix: true, io: { '239': 1 } },
      },
    ]);
    expect(await c.sendShortData(rec(ts + 1000))).toBe('1');
    await c.ping();
    expect(ingest.accepted).toHaveLength(2);
  });

  it('1.1: login without checksum, data without checksum', async () => {
    const c = await client('1.1');
    expect(await c.sendData(rec(Date.UTC(2026, 0, 1)))).toBe('1');
    expect(await c.sendShortData({ lat: 50.45, lon: 30.52 })).toBe('1');
    expect(ingest.accepted[1]).toMatchObject({ payload: { fix: true } });
  });

  it('#B#: out-of-order and old buffered records all pass with their own timestamps; #AB#3', async () => {
    const c = await client();
    const now = Date.now() - (Date.now() % 1000);
    const old = now - 20 * 86_400_000;
    expect(await c.sendBlackBox([rec(now - 5_000, 1), rec(old, 0), rec(now - 10_000, 2)])).toBe('3');
    expect(ingest.accepted.map((m) => m.ts)).toEqual([now - 5_000, old, now - 10_000]);
    expect(ingest.batches).toHaveLength(1);
  });

  it('#B#: exact duplicates dropped, bad records dead-lettered, all counted as received', async () => {
    const c = await client();
    const t = Date.UTC(2026, 0, 1);
    const line = wialonPackets.blackBox([rec(t), rec(t), rec(t + 1000, 1), { ts: t, lat: 48.5, lon: 32.2, speedKmh: 999 }]);
    expect(await c.request(line)).toBe('#AB#4');
    expect(ingest.accepted).toHaveLength(2);
    expect(ingest.rejections).toHaveLength(1);
    expect(ingest.rejections[0]!.detail).toContain('speedKmh');
  });

  it('refuses an unknown IMEI with #AL#0, closes and counts it', async () => {
    const c = new WialonTcpClient('2.0', 2_000);
    clients.push(c);
    await c.connect('127.0.0.1', gw.port);
    expect(await c.login('111111111111111')).toBe('0');
    const raw = await RawClient.connect(gw.port);
    clients.push(raw);
    raw.write(wialonPackets.login('999999999999999'));
    expect(await raw.readLine()).toBe('#AL#0');
    expect(await raw.waitClosed()).toBe(true);
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_unknown_imei_total', 'protocol="wialon-ips"')).toBe(2);
  });

  it('refuses a unit id no registry could hold with #AL#0, closes, and logs the rule it broke', async () => {
    await gw.close();
    const logged: Array<{ obj: object; msg?: string }> = [];
    const info = (obj: object, msg?: string) => logged.push({ obj, msg });
    gw = await startWialonGateway({ host: '127.0.0.1', port: 0, ingest, registry, lookupTracker: () => ({ deviceId: 'would-let-anyone-in' }), logger: { debug: () => {}, info, warn: info, error: info } });
    const raw = await RawClient.connect(gw.port);
    clients.push(raw);
    raw.write(wialonPackets.login('bus 42'));
    expect(await raw.readLine()).toBe('#AL#0');
    expect(await raw.waitClosed()).toBe(true);
    expect(logged.filter((l) => l.msg !== 'wialon-ips gateway listening')).toEqual([{ obj: expect.objectContaining({ reason: 'unit id "bus 42" must be 1–64 characters of A–Z, a–z, 0–9, _ . : - : the unit id a Wialon IPS device logs in with' }), msg: 'wialon-ips: login refused' }]);
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_frames_total', 'protocol="wialon-ips",result="malformed"')).toBe(1);
  });

  it('answers checksum errors with the spec codes and keeps nothing', async () => {
    const raw = await RawClient.connect(gw.port);
    clients.push(raw);
    raw.write(wialonPackets.login(IMEI).replace(/[0-9A-F]{4}\r\n$/, '0000\r\n'));
    expect(await raw.readLine()).toBe('#AL#10');
    raw.write(wialonPackets.login(IMEI));
    expect(await raw.readLine()).toBe('#AL#1');
    const t = Date.UTC(2026, 0, 1);
    raw.write(wialonPackets.data(rec(t)).replace(/[0-9A-F]{4}\r\n$/, '0000\r\n'));
    expect(await raw.readLine()).toBe('#AD#16');
    raw.write(wialonPackets.shortData(rec(t)).replace(/[0-9A-F]{4}\r\n$/, '0000\r\n'));
    expect(await raw.readLine()).toBe('#ASD#13');
    raw.write(wialonPackets.blackBox([rec(t)]).replace(/[0-9A-F]{4}\r\n$/, '0000\r\n'));
    expect(await raw.readLine()).toBe('#AB#');
    expect(ingest.accepted).toHaveLength(0);
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_bad_crc_total', 'protocol="wialon-ips"')).toBe(4);
  });

  it('answers field errors with their codes (#AD#10 for bad coordinates) and dead-letters the packet', async () => {
    const c = await client('1.1');
    expect(await c.request('#D#010126;120000;9544.6025;N;03739.6834;E;1;2;3;4;NA;NA;NA;NA;NA;NA\r\n')).toBe('#AD#10');
    expect(await c.request('#SD#010126;120000;5544.6025;N;03739.6834;E;1;2;3\r\n')).toBe('#ASD#-1');
    expect(await c.request('#SD#010126;120000;5544.6025;N;03739.6834;E;1;400;3;4\r\n')).toBe('#ASD#11');
    expect(ingest.rejections).toHaveLength(3);
    expect(ingest.accepted).toHaveLength(0);
  });

  it('does not answer #AD#1 when the hub fails (the device resends); #AB#0 for a black box', async () => {
    const c = await client();
    ingest.failing = true;
    await expect(c.sendData(rec(Date.UTC(2026, 0, 1)))).rejects.toThrow(/no answer/);
    const raw = await RawClient.connect(gw.port);
    clients.push(raw);
    raw.write(wialonPackets.login(IMEI));
    expect(await raw.readLine()).toBe('#AL#1');
    raw.write(wialonPackets.blackBox([rec(Date.UTC(2026, 0, 1))]));
    expect(await raw.readLine()).toBe('#AB#0');
    ingest.failing = false;
    raw.write(wialonPackets.data(rec(Date.UTC(2026, 0, 1))));
    expect(await raw.readLine()).toBe('#AD#1');
    expect(ingest.accepted).toHaveLength(1);
  });

  it('closes on data before login, on garbage, and on an endless line; lives on', async () => {
    const a = await RawClient.connect(gw.port);
    clients.push(a);
    a.write(wialonPackets.data(rec(Date.UTC(2026, 0, 1))));
    expect(await a.waitClosed()).toBe(true);
    const b = await RawClient.connect(gw.port);
    clients.push(b);
    b.write(Buffer.from([0, 1, 2, 3, 0x0a]));
    expect(await b.waitClosed()).toBe(true);
    const c = await RawClient.connect(gw.port);
    clients.push(c);
    c.write(wialonPackets.login(IMEI));
    expect(await c.readLine()).toBe('#AL#1');
    c.write(Buffer.alloc(70 * 1024, 0x41));
    expect(await c.waitClosed()).toBe(true);
    const d = await client();
    expect(await d.sendData(rec(Date.UTC(2026, 0, 1)))).toBe('1');
  });

  it('closes an idle connection', async () => {
    await gw.close();
    await start({ idleTimeoutMs: 200 });
    const c = await RawClient.connect(gw.port);
    clients.push(c);
    c.write(wialonPackets.login(IMEI));
    expect(await c.readLine()).toBe('#AL#1');
    c.write('#D#0101');
    expect(await c.waitClosed(2_000)).toBe(true);
  });
});
