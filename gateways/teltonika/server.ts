import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { DeviceMessage } from '../../services/contracts/index.ts';
import { dropExactDuplicates, toPositionMessage } from '../common/position.ts';
import { startTcpGateway } from '../common/tcp-server.ts';
import type { Connection, Session, StepResult } from '../common/tcp-server.ts';
import type { Gateway, GatewayDeps, GatewayOptions } from '../common/types.ts';
import { acceptRecords } from '../common/accept.ts';
import type { AvlRecord } from './avl-data.ts';
import { LOGIN_ACCEPTED, LOGIN_REFUSED, decodeTeltonikaTcp, decodeUdpPacket, encodeTcpAck, encodeUdpAck } from './decode.ts';
import type { TeltonikaStreamState } from './decode.ts';
import { teltonikaRecordToPayload } from './to-position.ts';

const PROTOCOL = 'teltonika';
/** Most FMB devices cap a packet at 1280 bytes; Codec 8 Extended with many NX elements runs larger. */
const TELTONIKA_MAX_FRAME = 64 * 1024;
const MAX_UDP_IN_FLIGHT = 1_000;

type Deps = GatewayDeps;

/**
 * Turns a packet's records into contract messages; invalid ones go to the dead letter (and are
 * still counted as received: resending them would never make them valid).
 */
function recordsToMessages(deviceId: string, records: AvlRecord[], deps: Deps): DeviceMessage[] {
  const unique = dropExactDuplicates(records, (r) => r.raw.toString('hex'));
  deps.metrics.record('duplicate', records.length - unique.length);
  const messages: DeviceMessage[] = [];
  const now = deps.now();
  for (const rec of unique) {
    const result = toPositionMessage(deviceId, teltonikaRecordToPayload(rec), now);
    if (result.ok) {
      messages.push(result.message);
    } else {
      deps.metrics.record('rejected');
      deps.ingest.reject({ ...result.error, source: PROTOCOL, payload: JSON.stringify(result.candidate) });
    }
  }
  return messages;
}

function createSession(conn: Connection, opts: GatewayOptions, deps: Deps, maxFrameBytes: number): Session {
  let state: TeltonikaStreamState = 'awaiting-imei';
  let deviceId: string | null = null;

  async function step(buf: { view(): Buffer; consume(n: number): void }): Promise<StepResult> {
    const d = decodeTeltonikaTcp(buf.view(), state, maxFrameBytes);
    switch (d.kind) {
      case 'incomplete':
        return 'wait';
      case 'invalid':
        deps.metrics.frame(d.reason.includes('exceeds') ? 'too-large' : 'malformed');
        deps.logger.debug({ remote: conn.remote, deviceId, reason: d.reason }, 'teltonika: invalid frame; connection closed');
        return 'close';
      case 'login': {
        buf.consume(d.size);
        const found = await deps.login.check(conn.address, d.imei);
        if (!found) {
          conn.closeWith(LOGIN_REFUSED);
          return 'close';
        }
        deps.metrics.frame('ok');
        deviceId = found.deviceId;
        state = 'logged-in';
        conn.send(LOGIN_ACCEPTED);
        return 'next';
      }
      case 'bad-crc': {
        const frame = Buffer.from(buf.view().subarray(0, Math.min(d.size, 4096)));
        buf.consume(d.size);
        deps.metrics.frame('bad-crc');
        deps.ingest.reject({
          reason: 'invalid-payload',
          detail: `teltonika: CRC-16 is 0x${d.sent.toString(16)}, computed 0x${d.computed.toString(16)}; not acknowledged`,
          deviceId: deviceId ?? undefined,
          source: PROTOCOL,
          payload: frame.toString('hex'),
        });
        return 'next';
      }
      case 'unsupported':
        buf.consume(d.size);
        deps.metrics.frame('unsupported');
        deps.logger.debug({ deviceId, what: d.what }, 'teltonika: unsupported packet ignored');
        return 'next';
      case 'malformed': {
        const frame = Buffer.from(buf.view().subarray(0, Math.min(d.size, 4096)));
        buf.consume(d.size);
        deps.metrics.frame('malformed');
        deps.ingest.reject({ reason: 'invalid-payload', detail: `teltonika: ${d.reason}`, deviceId: deviceId ?? undefined, source: PROTOCOL, payload: frame.toString('hex') });
        return 'close';
      }
      case 'avl': {
        buf.consume(d.size);
        const id = deviceId as string;
        const messages = recordsToMessages(id, d.records, deps);
        if (!(await acceptRecords(PROTOCOL, id, messages, deps))) return 'next';
        deps.metrics.frame('ok');
        conn.send(encodeTcpAck(d.records.length));
        return 'next';
      }
    }
  }

  return {
    step,
    get loggedIn() {
      return state === 'logged-in';
    },
  };
}

/**
 * Teltonika Codec 8 / 8 Extended gateway: TCP and UDP on the same port number.
 */
export async function startTeltonikaGateway(opts: GatewayOptions): Promise<Gateway> {
  const { tcp, host, deps } = await startTcpGateway(PROTOCOL, opts, { maxFrameBytes: TELTONIKA_MAX_FRAME }, (conn, sessionDeps, limits) =>
    createSession(conn, opts, sessionDeps, limits.maxFrameBytes),
  );
  const { metrics, logger } = deps;

  let udp: UdpSocket;
  try {
    udp = await bindUdp(host, tcp.port, opts.port === 0);
  } catch (err) {
    await tcp.close();
    throw err;
  }
  let inFlight = 0;
  udp.on('error', (err) => logger.error({ err }, 'teltonika: UDP socket error'));
  udp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    if (inFlight >= MAX_UDP_IN_FLIGHT) {
      metrics.frame('too-large');
      return;
    }
    inFlight++;
    handleDatagram(msg, rinfo)
      .catch((err: unknown) => logger.error({ err }, 'teltonika: UDP handler failed'))
      .finally(() => inFlight--);
  });

  async function handleDatagram(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const d = decodeUdpPacket(msg);
    if (d.kind === 'invalid') {
      metrics.frame('malformed');
      logger.debug({ remote: `${rinfo.address}:${rinfo.port}`, reason: d.reason }, 'teltonika: invalid UDP packet');
      return;
    }
    const found = await deps.login.check(rinfo.address, d.imei);
    if (!found) return;
    if (d.kind === 'unsupported') {
      metrics.frame('unsupported');
      return;
    }
    const messages = recordsToMessages(found.deviceId, d.records, deps);
    if (!(await acceptRecords(PROTOCOL, found.deviceId, messages, deps))) return;
    metrics.frame('ok');
    udp.send(encodeUdpAck(d.packetId, d.avlPacketId, d.records.length), rinfo.port, rinfo.address);
  }

  const udpPort = udp.address().port;
  logger.info({ udpPort }, 'teltonika UDP listening');
  return {
    port: tcp.port,
    udpPort,
    close: async () => {
      await Promise.all([tcp.close(), new Promise<void>((resolve) => udp.close(() => resolve()))]);
    },
  };
}

function bindUdp(host: string, port: number, anyPortOk: boolean): Promise<UdpSocket> {
  const attempt = (p: number) =>
    new Promise<UdpSocket>((resolve, reject) => {
      const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
      s.once('error', (err) => {
        s.close();
        reject(err);
      });
      s.bind(p, host, () => {
        s.removeAllListeners('error');
        resolve(s);
      });
    });
  // With port 0 the TCP port was free-picked; UDP takes the same number when it can.
  return attempt(port).catch((err: unknown) => (anyPortOk ? attempt(0) : Promise.reject(err)));
}
