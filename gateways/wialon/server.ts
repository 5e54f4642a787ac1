import type { DeviceMessage } from '../../services/contracts/index.ts';
import type { FrameBuffer } from '../common/frame-buffer.ts';
import { dropExactDuplicates, toPositionMessage } from '../common/position.ts';
import { startTcpGateway } from '../common/tcp-server.ts';
import type { Connection, Session, StepResult } from '../common/tcp-server.ts';
import type { Gateway, GatewayDeps, GatewayOptions } from '../common/types.ts';
import { acceptRecords } from '../common/accept.ts';
import { decodeWialonPacket, nextWialonLine } from './decode.ts';
import type { WialonVersion } from './decode.ts';
import type { WialonRecord } from './fields.ts';
import type { RecordOutcome } from './short-data.ts';
import { codeForContractPath, wialonRecordToPayload } from './to-position.ts';

const PROTOCOL = 'wialon-ips';
const CRLF = '\r\n';

type Deps = GatewayDeps;

/** Kept for inspection, but bounded: a 64 KiB black box with 5,000 bad records must not store 5,000 copies. */
const deadLetterText = (line: Buffer) => line.toString('utf8', 0, Math.min(line.length, 4096));

type Checked = { ok: true; message: DeviceMessage } | { ok: false; code: string };

/** Validates one decoded record; a refused one goes to the dead letter with its answer code. */
function check(deviceId: string, outcome: RecordOutcome, kind: 'short-data' | 'data', line: Buffer, deps: Deps): Checked {
  if (!outcome.ok) {
    deps.metrics.record('rejected');
    deps.ingest.reject({ reason: 'invalid-payload', detail: `wialon-ips: ${outcome.reason}`, deviceId, source: PROTOCOL, payload: deadLetterText(line) });
    return { ok: false, code: outcome.code };
  }
  const result = toPositionMessage(deviceId, wialonRecordToPayload(outcome.record), deps.now());
  if (!result.ok) {
    deps.metrics.record('rejected');
    deps.ingest.reject({ ...result.error, source: PROTOCOL, payload: deadLetterText(line) });
    return { ok: false, code: codeForContractPath(result.paths[0] ?? '', kind) };
  }
  return { ok: true, message: result.message };
}

function recordKey(r: WialonRecord): string {
  return JSON.stringify(r);
}

function createSession(conn: Connection, opts: GatewayOptions, deps: Deps, maxLineBytes: number): Session {
  let version: WialonVersion | null = null;
  let deviceId: string | null = null;
  let scanned = 0;

  async function step(buf: FrameBuffer): Promise<StepResult> {
    const l = nextWialonLine(buf.view(), maxLineBytes, scanned);
    if (l.kind === 'incomplete') {
      scanned = l.scanned;
      return 'wait';
    }
    scanned = 0;
    if (l.kind === 'too-long') {
      deps.metrics.frame('too-large');
      return 'close';
    }
    // Copied: the buffer may be compacted while this packet waits for the hub.
    const line = Buffer.from(l.line);
    buf.consume(l.size);
    if (line.length === 0) return 'next';
    const now = deps.now();
    const p = decodeWialonPacket(line, version ?? '2.0', now);

    if (p.type === 'login' || p.type === 'login-error') {
      if (p.type === 'login-error') {
        deps.metrics.frame(p.code === '10' ? 'bad-crc' : 'malformed');
        if (p.code === '10') {
          conn.send(`#AL#10${CRLF}`);
          return 'next';
        }
        deps.login.refuse(conn.address, p.reason);
        conn.closeWith(`#AL#0${CRLF}`);
        return 'close';
      }
      const found = await deps.login.check(conn.address, p.unitId);
      if (!found) {
        conn.closeWith(`#AL#0${CRLF}`);
        return 'close';
      }
      deps.metrics.frame('ok');
      version = p.version;
      deviceId = found.deviceId;
      conn.send(`#AL#1${CRLF}`);
      return 'next';
    }

    if (!deviceId || !version) {
      deps.metrics.frame('not-logged-in');
      return 'close';
    }
    const id = deviceId;

    switch (p.type) {
      case 'ping':
        deps.metrics.frame('ok');
        conn.send(`#AP#${CRLF}`);
        return 'next';
      case 'short-data':
      case 'data': {
        const answer = p.type === 'data' ? '#AD#' : '#ASD#';
        const crcCode = p.type === 'data' ? '16' : '13';
        const c = check(id, p.outcome, p.type, line, deps);
        if (!c.ok) {
          deps.metrics.frame(c.code === crcCode ? 'bad-crc' : 'malformed');
          conn.send(`${answer}${c.code}${CRLF}`);
          return 'next';
        }
        // No answer when the hub could not keep it: the device resends on its timeout.
        if (!(await acceptRecords(PROTOCOL, id, [c.message], deps))) return 'next';
        deps.metrics.frame('ok');
        conn.send(`${answer}1${CRLF}`);
        return 'next';
      }
      case 'black-box-crc-error':
        deps.metrics.frame('bad-crc');
        deps.ingest.reject({ reason: 'invalid-payload', detail: `wialon-ips: black box ${p.reason}`, deviceId: id, source: PROTOCOL, payload: deadLetterText(line) });
        conn.send(`#AB#${CRLF}`);
        return 'next';
      case 'black-box': {
        const valid = p.records.filter((o): o is RecordOutcome & { ok: true } => o.ok);
        const unique = dropExactDuplicates(valid, (o) => recordKey(o.record));
        deps.metrics.record('duplicate', valid.length - unique.length);
        const messages: DeviceMessage[] = [];
        for (const o of [...unique, ...p.records.filter((o) => !o.ok)]) {
          const c = check(id, o, 'data', line, deps);
          if (c.ok) messages.push(c.message);
        }
        if (!(await acceptRecords(PROTOCOL, id, messages, deps))) {
          conn.send(`#AB#0${CRLF}`);
          return 'next';
        }
        deps.metrics.frame('ok');
        // Refused records count as received: they sit in the dead letter, resending cannot fix them.
        conn.send(`#AB#${p.records.length}${CRLF}`);
        return 'next';
      }
      case 'unsupported':
        deps.metrics.frame('unsupported');
        deps.logger.debug({ deviceId: id, packetType: p.packetType }, 'wialon-ips: unsupported packet ignored');
        return 'next';
      case 'malformed':
        deps.metrics.frame('malformed');
        deps.logger.debug({ deviceId: id, reason: p.reason }, 'wialon-ips: malformed packet; connection closed');
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

/** Wialon IPS 1.1 and 2.0 gateway over TCP. */
export async function startWialonGateway(opts: GatewayOptions): Promise<Gateway> {
  const { tcp } = await startTcpGateway(PROTOCOL, opts, {}, (conn, deps, limits) => createSession(conn, opts, deps, limits.maxFrameBytes - 1));
  return { port: tcp.port, close: tcp.close };
}
