import { createSocket } from 'node:dgram';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTeltonikaGateway } from '../../gateways/teltonika/server.ts';
import type { Gateway } from '../../gateways/common/types.ts';
import { encodeImeiLogin, encodeTcpAvlPacket, encodeUdpAvlPacket, TeltonikaTcpClient } from '../../simulators/protocols/teltonika.ts';
import type { TeltonikaRecordInput } from '../../simulators/protocols/teltonika.ts';
import { lookupFrom, metricValue, RawClient, RecordingIngest } from './support.ts';

const IMEI = '356307042441013';
const WIKI_C8_EX1 = Buffer.from('000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF', 'hex');
const WIKI_UDP = Buffer.from('003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001', 'hex');

let ingest: RecordingIngest;
let registry: Registry;
let gw: Gateway;
const clients: Array<{ close(): void }> = [];

async function start(limits = {}) {
  gw = await startTeltonikaGateway({
    host: '127.0.0.1',
    port: 0,
    ingest,
    registry,
    limits,
    lookupTracker: lookupFrom([
      { protocol: 'teltonika', imei: IMEI, deviceId: 'trk-teltonika-1' },
      { protocol: 'teltonika', imei: '352093086403655', deviceId: 'trk-udp-1' },
      { protocol: 'wialon-ips', imei: '111111111111111', deviceId: 'not-teltonika' },
    ]),
  });
}

async function loggedIn(): Promise<RawClient> {
  const c = await RawClient.connect(gw.port);
  clients.push(c);
  c.write(encodeImeiLogin(IMEI));
  expect((await c.read(1)).toString('hex')).toBe('01');
  return c;
}

const fix = (ts: number, i = 0): TeltonikaRecordInput => ({ ts, lat: 48.5079 + i / 1000, lon: 32.2623 + i / 1000, speedKmh: 30 + i, courseDeg: 90, altitudeM: 120, satellites: 9, io: { 239: 1, 240: 1, 66: 12800 } });

beforeEach(async () => {
  ingest = new RecordingIngest();
  registry = new Registry();
  await start();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await gw.close();
});

describe('Teltonika gateway over TCP', () => {
  it('logs in, takes the wiki packet and ACKs 00000001 after the hub accepted it', async () => {
    const c = await loggedIn();
    c.write(WIKI_C8_EX1);
    expect((await c.read(4)).toString('hex')).toBe('00000001');
    expect(ingest.batches).toHaveLength(1);
    expect(ingest.batches[0]!.source).toBe('teltonika');
    expect(ingest.accepted[0]).toMatchObject({ channel: 'position', deviceId: 'trk-teltonika-1', ts: 1560161086000, payload: { fix: false, io: { '66': 24079 } } });
  });

  it('passes out-of-order records through with their own timestamps, all in one batch', async () => {
    const t = Date.UTC(2026, 2, 1, 12, 0, 0);
    const c = await loggedIn();
    c.write(encodeTcpAvlPacket([fix(t + 20_000, 2), fix(t, 0), fix(t + 10_000, 1)]));
    expect((await c.read(4)).readUInt32BE(0)).toBe(3);
    expect(ingest.accepted.map((m) => m.ts)).toEqual([t + 20_000, t, t + 10_000]);
    expect(ingest.accepted[1]!.payload).toMatchObject({ lat: 48.5079, lon: 32.2623, speedKmh: 30, ignition: true, fix: true });
  });

  it('passes an old buffered record (30 days back) through next to a live one', async () => {
    const now = Date.now();
    const old = now - 30 * 86_400_000;
    const c = await loggedIn();
    c.write(encodeTcpAvlPacket([fix(old), fix(now, 1)]));
    expect((await c.read(4)).readUInt32BE(0)).toBe(2);
    expect(ingest.accepted.map((m) => m.ts)).toEqual([old, now]);
  });

  it('drops an exact duplicate inside one packet but ACKs the full count', async () => {
    const t = Date.UTC(2026, 2, 1);
    const c = await loggedIn();
    c.write(encodeTcpAvlPacket([fix(t), fix(t), fix(t + 1000, 1)]));
    expect((await c.read(4)).readUInt32BE(0)).toBe(3);
    expect(ingest.accepted).toHaveLength(2);
  });

  it('sends an invalid record to the dead letter and still ACKs it (resending cannot fix it)', async () => {
    const c = await loggedIn();
    c.write(encodeTcpAvlPacket([{ ts: 5_000, lat: 1, lon: 1, satellites: 3 }, fix(Date.UTC(2026, 0, 1))]));
    expect((await c.read(4)).readUInt32BE(0)).toBe(2);
    expect(ingest.accepted).toHaveLength(1);
    expect(ingest.rejections).toHaveLength(1);
    expect(ingest.rejections[0]).toMatchObject({ reason: 'invalid-payload', deviceId: 'trk-teltonika-1', source: 'teltonika' });
    expect(ingest.rejections[0]!.detail).toContain('ts');
  });

  it('refuses an unknown IMEI with 00, closes, and counts it', async () => {
    const c = await RawClient.connect(gw.port);
    clients.push(c);
    c.write(encodeImeiLogin('111111111111111'));
    expect((await c.read(1)).toString('hex')).toBe('00');
    expect(await c.waitClosed()).toBe(true);
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_unknown_imei_total', 'protocol="teltonika"')).toBe(1);
  });

  it('does not ACK a bad CRC, keeps the connection, and ACKs the resent good packet', async () => {
    const c = await loggedIn();
    const bad = Buffer.from(WIKI_C8_EX1);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0x01, bad.length - 1);
    c.write(bad);
    await c.expectSilence(300);
    expect(ingest.accepted).toHaveLength(0);
    expect(ingest.rejections[0]?.detail).toContain('CRC');
    c.write(WIKI_C8_EX1);
    expect((await c.read(4)).toString('hex')).toBe('00000001');
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_bad_crc_total', 'protocol="teltonika"')).toBe(1);
  });

  it('does not ACK when the hub fails to keep the records; ACKs the resend once it can', async () => {
    const c = await loggedIn();
    ingest.failing = true;
    c.write(WIKI_C8_EX1);
    await c.expectSilence(300);
    expect(c.closed).toBe(false);
    ingest.failing = false;
    c.write(WIKI_C8_EX1);
    expect((await c.read(4)).toString('hex')).toBe('00000001');
    expect(ingest.accepted).toHaveLength(1);
  });

  it('closes on a 2 GB data length and lives on for the next device', async () => {
    const c = await loggedIn();
    c.write(Buffer.from('000000007FFFFFF0080100', 'hex'));
    expect(await c.waitClosed()).toBe(true);
    const d = await loggedIn();
    d.write(WIKI_C8_EX1);
    expect((await d.read(4)).toString('hex')).toBe('00000001');
  });

  it('closes on garbage instead of a login, and on garbage after login', async () => {
    const a = await RawClient.connect(gw.port);
    clients.push(a);
    a.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await a.waitClosed()).toBe(true);
    const b = await loggedIn();
    b.write(Buffer.from('deadbeefdeadbeef', 'hex'));
    expect(await b.waitClosed()).toBe(true);
  });

  it('a frame split across many writes is reassembled', async () => {
    const c = await loggedIn();
    for (let i = 0; i < WIKI_C8_EX1.length; i += 7) {
      c.write(WIKI_C8_EX1.subarray(i, i + 7));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect((await c.read(4)).toString('hex')).toBe('00000001');
  });

  it('two packets in one write get two ACKs', async () => {
    const c = await loggedIn();
    c.write(Buffer.concat([WIKI_C8_EX1, encodeTcpAvlPacket([fix(Date.UTC(2026, 0, 1)), fix(Date.UTC(2026, 0, 2))])]));
    expect((await c.read(8)).toString('hex')).toBe('0000000100000002');
  });
});

describe('Teltonika gateway limits', () => {
  it('closes a truncated frame on the idle timeout', async () => {
    await gw.close();
    await start({ idleTimeoutMs: 200 });
    const c = await loggedIn();
    c.write(WIKI_C8_EX1.subarray(0, 20));
    expect(await c.waitClosed(2_000)).toBe(true);
    expect(ingest.accepted).toHaveLength(0);
  });

  it('closes a connection that never logs in', async () => {
    await gw.close();
    await start({ loginTimeoutMs: 200 });
    const c = await RawClient.connect(gw.port);
    clients.push(c);
    expect(await c.waitClosed(2_000)).toBe(true);
  });

  it('refuses connections over the cap and counts them', async () => {
    await gw.close();
    await start({ maxConnections: 2 });
    const a = await loggedIn();
    await loggedIn();
    const c = await RawClient.connect(gw.port);
    clients.push(c);
    expect(await c.waitClosed()).toBe(true);
    a.write(WIKI_C8_EX1);
    expect((await a.read(4)).toString('hex')).toBe('00000001');
    expect(await metricValue(await registry.metrics(), 'mistohub_gateway_connections_total', 'protocol="teltonika",result="over-limit"')).toBe(1);
  });
});

describe('Teltonika gateway over UDP', () => {
  async function udpExchange(packet: Buffer, waitMs = 2_000): Promise<Buffer | null> {
    const s = createSocket('udp4');
    try {
      return await new Promise<Buffer | null>((resolve) => {
        const t = setTimeout(() => resolve(null), waitMs);
        s.on('message', (m) => {
          clearTimeout(t);
          resolve(m);
        });
        s.send(packet, gw.udpPort!, '127.0.0.1');
      });
    } finally {
      s.close();
    }
  }

  it('ACKs the wiki UDP example with 0005CAFE010501 after the hub accepted it', async () => {
    const ack = await udpExchange(WIKI_UDP);
    expect(ack?.toString('hex').toUpperCase()).toBe('0005CAFE010501');
    expect(ingest.accepted[0]).toMatchObject({ deviceId: 'trk-udp-1', ts: 1560407006000 });
  });

  it('does not answer an unknown IMEI, a failing hub, or garbage', async () => {
    expect(await udpExchange(encodeUdpAvlPacket('999999999999999', 1, 1, [fix(Date.UTC(2026, 0, 1))]), 300)).toBeNull();
    ingest.failing = true;
    expect(await udpExchange(WIKI_UDP, 300)).toBeNull();
    ingest.failing = false;
    expect(await udpExchange(Buffer.from('hello'), 300)).toBeNull();
    expect(ingest.accepted).toHaveLength(0);
    expect(await udpExchange(WIKI_UDP)).not.toBeNull();
  });
});

describe('the simulator\'s TeltonikaTcpClient against the gateway', () => {
  it('logs in and gets ACK counts back', async () => {
    const client = new TeltonikaTcpClient(3_000);
    clients.push(client);
    expect(await client.connect('127.0.0.1', gw.port, IMEI)).toBe(true);
    expect(await client.sendRecords([fix(Date.UTC(2026, 0, 1)), fix(Date.UTC(2026, 0, 1, 0, 1), 1)])).toBe(2);
    expect(await client.sendRecords([fix(Date.UTC(2026, 0, 1, 0, 2), 2)], 0x8e)).toBe(1);
    expect(ingest.accepted).toHaveLength(3);
    const refused = new TeltonikaTcpClient(3_000);
    clients.push(refused);
    expect(await refused.connect('127.0.0.1', gw.port, '000000000000000')).toBe(false);
  });
});
