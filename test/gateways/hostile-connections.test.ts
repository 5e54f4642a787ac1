import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeltonikaGateway } from '../../gateways/index.ts';
import type { Gateway } from '../../gateways/index.ts';
import { encodeImeiLogin, encodeTcpAvlPacket } from '../../simulators/protocols/teltonika.ts';
import { RawClient, RecordingIngest, lookupFrom } from './support.ts';

const IMEI = '352093081452999';

/** Thousands of idle sockets and a sender that trickles bytes: the gateway stays bounded and serves real devices. */
describe('hostile connections', () => {
  const ingest = new RecordingIngest();
  let gw: Gateway;
  const idle: Socket[] = [];

  beforeAll(async () => {
    gw = await startTeltonikaGateway({
      host: '127.0.0.1', port: 0, ingest,
      lookupTracker: lookupFrom([{ protocol: 'teltonika', imei: IMEI, deviceId: 'trk-h' }]),
      limits: { maxConnections: 2500, loginTimeoutMs: 60_000 },
    });
  });
  afterAll(async () => {
    idle.forEach((s) => s.destroy());
    await gw.close();
  });

  it('takes 2,000 idle sockets, refuses past its cap, and a real tracker still gets through', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const connect = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = new Socket();
        s.on('error', () => undefined);
        s.connect(gw.port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    for (let i = 0; i < 2000; i += 100) idle.push(...(await Promise.all(Array.from({ length: 100 }, connect))));
    expect(idle.filter((s) => !s.destroyed)).toHaveLength(2000);

    // Over the cap, a connection is closed at once.
    const extra: Socket[] = [];
    for (let i = 0; i < 600; i++) extra.push(await connect());
    const closed = await Promise.all(extra.map((s) => new Promise<boolean>((resolve) => {
      if (s.destroyed) return resolve(true);
      s.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    })));
    expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(100);
    extra.forEach((s) => s.destroy());

    // A device that sends its login and packet one byte at a time is still understood, once the
    // extra connections have gone and there is room under the cap again.
    const login = encodeImeiLogin(IMEI);
    let device: RawClient | undefined;
    for (let attempt = 0; attempt < 50 && !device; attempt++) {
      const c = await RawClient.connect(gw.port);
      for (const byte of login) c.socket.write(Buffer.from([byte]));
      const answer = await c.read(1).catch(() => undefined);
      if (answer?.[0] === 1) device = c;
      else await new Promise((r) => setTimeout(r, 100));
    }
    if (!device) throw new Error('the tracker could not log in next to 2,000 idle sockets');
    const ts = Date.now() - 1000;
    const packet = encodeTcpAvlPacket([{ ts, lat: 48.5, lon: 32.2, speedKmh: 10, satellites: 6 }]);
    for (let i = 0; i < packet.length; i += 3) device.socket.write(packet.subarray(i, i + 3));
    expect((await device.read(4)).readUInt32BE(0)).toBe(1);
    device.close();
    expect(ingest.accepted.map((m) => m.ts)).toEqual([ts]);

    // 2,000 idle connections cost little memory.
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.log(`idle connections: 2000, heap growth ${grownMiB.toFixed(1)} MiB`);
    expect(grownMiB).toBeLessThan(100);
  }, 60_000);
});
