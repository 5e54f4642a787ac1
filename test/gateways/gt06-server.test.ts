import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeGt06Reply } from '../../gateways/gt06/decode.ts';
import { startGt06Gateway } from '../../gateways/gt06/server.ts';
import type { Gateway } from '../../gateways/common/types.ts';
import { encodeGt06Heartbeat, encodeGt06Location, encodeGt06Login } from '../../simulators/protocols/gt06.ts';
import { lookupFrom, metricValue, RawClient, RecordingIngest } from './support.ts';

const IMEI = '864717003283581';
let ingest: RecordingIngest;
let registry: Registry;
let gw: Gateway;
const clients: RawClient[] = [];

async function start(limits = {}) {
  gw = await startGt06Gateway({
    host: '127.0.0.1',
    port: 0,
    ingest,
    registry,
    limits,
    lookupTracker: lookupFrom([{ protocol: 'gt06', imei: IMEI, deviceId: 'trk-gt06-1' }]),
  });
}

async function loggedIn(): Promise<RawClient> {
  const c = await RawClient.connect(gw.port);
  clients.push(c);
  c.write(Buffer.from('78780D01086471700328358100093F040D0A', 'hex'));
  expect((await c.read(10)).toString('hex').toUpperCase()).toBe(encodeGt06Reply(0x01, 9).toString('hex').toUpperCase());
  return c;
}

beforeEach(async () => {
  ingest = new RecordingIngest();
  registry = new Registry();
  await start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await gw.close();
});

describe('GT06 gateway', () => {
  it('login echo, then a real 0x22 location echoed only after the hub accepted it', async () => {
    const c = await loggedIn();
    c.write(Buffer.from('787822220F0C1D023305C9027AC8180C46586000140001CC00287D001F71000001000820860D0A', 'hex'));
    expect((await c.read(10)).toString('hex').toUpperCase()).toBe('787805220008A8420D0A');
    expect(ingest.accepted).toEqual([
      {
        channel: 'position',
        deviceId: 'trk-gt06-1',
        ts: Date.UTC(2015, 11, 29, 2, 51, 5),
        payload: { ts: Date.UTC(2015, 11, 29, 2, 51, 5), lat: 23.1116933, lon: 114.4092978, speedKmh: 0, courseDeg: 0, satellites: 9, fix: true, ignition: false, io: { '239': 0 } },
      },
    ]);
  });

  it('heartbeat echo 787805130011F9700D0A; out-of-order and old positions pass with their own time', async () => {
    const c = await loggedIn();
    c.write(encodeGt06Heartbeat(0x11));
    expect((await c.read(10)).toString('hex').toUpperCase()).toBe('787805130011F9700D0A');
    const now = Date.now() - (Date.now() % 1000);
    const times = [now - 60_000, now - 10 * 86_400_000, now - 120_000];
    for (const [i, ts] of times.entries()) {
      c.write(encodeGt06Location({ ts, lat: 48.5, lon: 32.25, satellites: 7 }, 100 + i));
      expect((await c.read(10)).readUInt16BE(4)).toBe(100 + i);
    }
    expect(ingest.accepted.map((m) => m.ts)).toEqual(times);
  });

  it('closes an unknown IMEI without a reply and counts it', async () => {
    const c = await RawClient.connect(gw.port);
    clients.push(c);
    c.write(encodeGt06Login('123456789012345', 1));
    expect(await c.waitClosed()).toBe(true);
    expect(c.pendingBytes).toBe(0);
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_unknown_imei_total', 'protocol="gt06"')).toBe(1);
  });

  it('does not echo a bad CRC or a packet the hub failed to keep', async () => {
    const c = await loggedIn();
    const loc = encodeGt06Location({ ts: Date.UTC(2026, 0, 1), lat: 48.5, lon: 32.25 }, 7);
    const bad = Buffer.from(loc);
    bad.writeUInt8(bad.readUInt8(bad.length - 3) ^ 0xff, bad.length - 3);
    c.write(bad);
    await c.expectSilence(300);
    ingest.failing = true;
    c.write(loc);
    await c.expectSilence(300);
    ingest.failing = false;
    c.write(loc);
    expect((await c.read(10)).readUInt16BE(4)).toBe(7);
    expect(ingest.accepted).toHaveLength(1);
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_bad_crc_total', 'protocol="gt06"')).toBe(1);
  });

  it('closes on location before login, garbage, and an absurd 0x7979 length; lives on', async () => {
    const a = await RawClient.connect(gw.port);
    clients.push(a);
    a.write(encodeGt06Location({ ts: Date.UTC(2026, 0, 1), lat: 48.5, lon: 32.25 }, 1));
    expect(await a.waitClosed()).toBe(true);
    const b = await loggedIn();
    b.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'));
    expect(await b.waitClosed()).toBe(true);
    const c = await loggedIn();
    c.write(Buffer.from('7979FFFF12', 'hex'));
    expect(await c.waitClosed()).toBe(true);
    const d = await loggedIn();
    d.write(encodeGt06Heartbeat(2));
    expect((await d.read(10)).readUInt16BE(4)).toBe(2);
  });

  it('closes an idle connection with half a packet', async () => {
    await gw.close();
    await start({ idleTimeoutMs: 200 });
    const c = await loggedIn();
    c.write(encodeGt06Heartbeat(2).subarray(0, 6));
    expect(await c.waitClosed(2_000)).toBe(true);
  });
});
