import type { FrameBuffer } from '../common/frame-buffer.ts';
import { toPositionMessage } from '../common/position.ts';
import { startTcpGateway } from '../common/tcp-server.ts';
import type { Connection, Session, StepResult } from '../common/tcp-server.ts';
import type { Gateway, GatewayDeps, GatewayOptions } from '../common/types.ts';
import { acceptRecords } from '../common/accept.ts';
import { decodeGt06Packet, encodeGt06Reply, nextGt06Frame } from './decode.ts';
import { GT06_MAX_LONG_PACKET } from './framing.ts';
import { gt06ToPayload } from './to-position.ts';

const PROTOCOL = 'gt06';

type Deps = GatewayDeps;

function createSession(conn: Connection, opts: GatewayOptions, deps: Deps, maxLongPacket: number): Session {
  let deviceId: string | null = null;

  async function step(buf: FrameBuffer): Promise<StepResult> {
    const f = nextGt06Frame(buf.view(), maxLongPacket);
    switch (f.kind) {
      case 'incomplete':
        return 'wait';
      case 'invalid':
        deps.metrics.frame(f.reason.includes('exceeds') ? 'too-large' : 'malformed');
        deps.logger.debug({ remote: conn.remote, deviceId, reason: f.reason }, 'gt06: invalid frame; connection closed');
        return 'close';
      case 'bad-crc': {
        const raw = Buffer.from(buf.view().subarray(0, f.size));
        buf.consume(f.size);
        deps.metrics.frame('bad-crc');
        if (deviceId) {
          deps.ingest.reject({
            reason: 'invalid-payload',
            detail: `gt06: CRC-ITU is 0x${f.sent.toString(16)}, computed 0x${f.computed.toString(16)}; not acknowledged`,
            deviceId,
            source: PROTOCOL,
            payload: raw.toString('hex'),
          });
        }
        return 'next';
      }
      case 'frame':
        break;
    }
    const raw = Buffer.from(buf.view().subarray(0, f.size));
    const content = Buffer.from(f.content);
    buf.consume(f.size);
    const p = decodeGt06Packet(f.protocol, content);

    if (p.type === 'login') {
      const found = await deps.login.check(conn.address, p.imei);
      if (!found) return 'close';
      deps.metrics.frame('ok');
      deviceId = found.deviceId;
      conn.send(encodeGt06Reply(f.protocol, f.serial));
      return 'next';
    }
    if (!deviceId) {
      deps.metrics.frame('not-logged-in');
      return 'close';
    }
    const id = deviceId;

    switch (p.type) {
      case 'heartbeat':
        deps.metrics.frame('ok');
        conn.send(encodeGt06Reply(f.protocol, f.serial));
        return 'next';
      case 'location':
      case 'gps-status': {
        const payload = p.type === 'location' ? gt06ToPayload(p.gps, { acc: p.gps.acc }) : gt06ToPayload(p.gps, { acc: p.status.acc, gsmSignal: p.status.gsmSignal });
        const result = toPositionMessage(id, payload, deps.now());
        if (!result.ok) {
          // Dead-lettered and echoed: the packet was read, resending it cannot make it valid.
          deps.metrics.record('rejected');
          deps.ingest.reject({ ...result.error, source: PROTOCOL, payload: raw.toString('hex') });
          deps.metrics.frame('ok');
          conn.send(encodeGt06Reply(f.protocol, f.serial));
          return 'next';
        }
        if (!(await acceptRecords(PROTOCOL, id, [result.message], deps))) return 'next'; // not echoed: the device resends
        deps.metrics.frame('ok');
        conn.send(encodeGt06Reply(f.protocol, f.serial));
        return 'next';
      }
      case 'unsupported':
        deps.metrics.frame('unsupported');
        deps.logger.debug({ deviceId: id, protocol: p.protocol }, 'gt06: unsupported packet ignored');
        return 'next';
      case 'malformed':
        deps.metrics.frame('malformed');
        deps.ingest.reject({ reason: 'invalid-payload', detail: `gt06: ${p.reason}`, deviceId: id, source: PROTOCOL, payload: raw.toString('hex') });
        return 'close';
    }
  }

  return {
    step,
    get loggedIn() {
      return deviceId !== null;
    },
  };
}

/** GT06 / Concox gateway over TCP. */
export async function startGt06Gateway(opts: GatewayOptions): Promise<Gateway> {
  const { tcp } = await startTcpGateway(PROTOCOL, opts, { maxFrameBytes: 16 * 1024 }, (conn, deps, limits) =>
    createSession(conn, opts, deps, Math.min(GT06_MAX_LONG_PACKET, limits.maxFrameBytes - 6)),
  );
  return { port: tcp.port, close: tcp.close };
}
