/**
 * Load generator of `npm run bench`: a child process (so its CPU is measured apart from the
 * hub's) holding MQTT connections, one per tracker, publishing position messages at QoS 1.
 * Driven by the bench over IPC (protocol.ts).
 *
 * It speaks MQTT 3.1.1 itself over raw `net` sockets (mqtt-wire.ts) rather than through mqtt.js:
 * on the bench's two cores the generator's CPU is taken from the system under test, and mqtt.js
 * spent ~26 µs per QoS 1 message (two thirds of a core at 25k msg/s) where this costs a few.
 * It needs little of a client: CONNECT, QoS 1 PUBLISH, PUBACK, keepalive pings, DISCONNECT.
 * There is no reconnection: when a connection breaks, its unacknowledged messages count as
 * failed and it publishes no more (every later publish on it fails at once).
 */
import { connect, type Socket } from 'node:net';
import {
  BrokerPacketParser, CONNACK_RETURN_CODES, DISCONNECT_PACKET, PINGREQ_PACKET, PublishEncoder, encodeConnect, type BrokerPacketHandler,
} from './mqtt-wire.ts';
import type { BenchDevice, FromGenerator, RunResult, ToGenerator } from './protocol.ts';
import { newHistogram, recordMs } from './stats.ts';

const wallMs = (): number => performance.timeOrigin + performance.now();
/** An open-loop connection never holds more than this many unacknowledged messages. */
const OPEN_LOOP_MAX_INFLIGHT = 1000;
const KEEPALIVE_S = 60;
/** A PINGREQ goes out on a connection that has sent nothing for this long (half the keepalive). */
const PING_AFTER_MS = (KEEPALIVE_S * 1000) / 2;
const CONNECT_TIMEOUT_MS = 15_000;
/** Logins at once: each costs the broker a scrypt check. */
const CONNECT_CONCURRENCY = 16;

/** What a run does with the answer to one of its messages. */
interface RunSink {
  acked(c: Conn, m: InFlight, t1: number): void;
  failed(c: Conn, m: InFlight): void;
}

/** A QoS 1 message waiting for its PUBACK. */
interface InFlight {
  t0: number;
  /** index of its entry in the run's records, -1 if none */
  recordAt: number;
  /** the run that sent it: a late answer reaches the run it belongs to, which ignores it when over */
  sink: RunSink;
}

/** One tracker's MQTT connection. */
class Conn implements BrokerPacketHandler {
  readonly socket: Socket;
  readonly encoder: PublishEncoder;
  private readonly parser = new BrokerPacketParser(this);
  /** by packet id */
  private readonly pending = new Map<number, InFlight>();
  private nextId = 1;
  /** CONNACK seen with return code 0, socket not closed */
  alive = false;
  lastSentMs = 0;
  // state of the current run
  inflight = 0;
  seq = 0;
  lastTs = 0;
  readonly lat: number;
  readonly lon: number;
  /** Settles once the broker has accepted the connection (CONNACK 0). */
  readonly up: Promise<void>;
  private connected: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(readonly device: BenchDevice, port: number, clientId: string) {
    this.encoder = new PublishEncoder(`v1/transit/${device.id}/position`);
    this.lat = 48.45 + (device.index % 100) * 0.001;
    this.lon = 32.2 + Math.floor(device.index / 100) * 0.001;
    const ready = new Promise<void>((resolve, reject) => (this.connected = { resolve, reject }));
    this.up = ready;
    const timer = setTimeout(() => this.fail(new Error(`no CONNACK within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    void ready.then(() => clearTimeout(timer), () => clearTimeout(timer));
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('connect', () => {
      this.lastSentMs = performance.now();
      this.socket.write(encodeConnect({ clientId, username: device.id, password: device.secret, keepalive: KEEPALIVE_S }));
    });
    this.socket.on('data', (chunk: Buffer) => {
      // PUBACKs come in bunches: the messages they release go out in one write.
      this.socket.cork();
      try {
        this.parser.push(chunk);
      } catch (err) {
        this.fail(err as Error);
      } finally {
        this.socket.uncork();
      }
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Sends one QoS 1 PUBLISH; false (nothing sent) if the connection is gone or out of packet ids. */
  publish(payload: string, m: InFlight): boolean {
    if (!this.alive || this.pending.size >= 0xffff) return false;
    let id = this.nextId;
    while (this.pending.has(id)) id = id === 0xffff ? 1 : id + 1;
    this.nextId = id === 0xffff ? 1 : id + 1;
    this.pending.set(id, m);
    this.lastSentMs = m.t0; // (a fresh enough clock for keepalive, without reading it again)
    this.socket.write(this.encoder.encode(id, payload));
    return true;
  }

  pingIfIdle(now: number): void {
    if (this.alive && now - this.lastSentMs >= PING_AFTER_MS) {
      this.lastSentMs = now;
      this.socket.write(PINGREQ_PACKET);
    }
  }

  connack(returnCode: number): void {
    if (!this.connected) return;
    if (returnCode !== 0) {
      this.fail(new Error(`connection refused: ${CONNACK_RETURN_CODES[returnCode] ?? 'unknown'} (CONNACK return code ${returnCode})`));
      return;
    }
    this.alive = true;
    this.connected.resolve();
    this.connected = undefined;
  }

  puback(packetId: number): void {
    const m = this.pending.get(packetId);
    if (!m) return;
    this.pending.delete(packetId);
    m.sink.acked(this, m, performance.now());
  }

  pingresp(): void {
    // Nothing to do: the broker is there.
  }

  /** The connection is over: during the login, the login fails; after, every message in flight fails. */
  private fail(err: Error): void {
    this.alive = false;
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.connected) {
      this.connected.reject(err);
      this.connected = undefined;
    }
    if (this.pending.size === 0) return;
    const lost = [...this.pending.values()];
    this.pending.clear();
    for (const m of lost) m.sink.failed(this, m);
  }

  /** DISCONNECT, then the socket is ended; settles when it is closed (or after 2 s, destroyed). */
  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.socket.destroy(), 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.alive = false;
      this.socket.end(DISCONNECT_PACKET);
    });
  }
}

let conns: Conn[] = [];

const pinger = setInterval(() => {
  const now = performance.now();
  for (const c of conns) c.pingIfIdle(now);
}, 5000);
pinger.unref();

function send(msg: FromGenerator): void {
  process.send?.(msg);
}

async function connectAll(port: number, devices: BenchDevice[], prefix: string): Promise<void> {
  const failures: string[] = [];
  const queue = [...devices];
  const next = async (): Promise<void> => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const c = new Conn(d, port, `${prefix}-${d.id}`);
      try {
        await c.up;
        conns.push(c);
      } catch (err) {
        failures.push(`${d.id}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, next));
  send({ type: 'connected', count: conns.length, failures: failures.slice(0, 5) });
}

function payloadOf(c: Conn, ts: number, n: number): string {
  // A vehicle wandering a little: every message differs, as real positions do.
  const wobble = (n % 1000) * 1e-6;
  return `{"ts":${ts},"lat":${(c.lat + wobble).toFixed(6)},"lon":${(c.lon + wobble).toFixed(6)},"speedKmh":${n % 60},"courseDeg":${n % 360}}`;
}

async function run(cmd: Extract<ToGenerator, { type: 'run' }>): Promise<RunResult> {
  const hist = newHistogram();
  const ackedByDevice: Record<number, number> = {};
  const records: number[] = [];
  const perSecond: number[] = [];
  let published = 0;
  let acked = 0;
  let failed = 0;
  let skipped = 0;
  let ackedInWindow = 0;
  let lastAckMs = 0;
  let tsMin = Number.POSITIVE_INFINITY;
  let tsMax = Number.NEGATIVE_INFINITY;
  for (const c of conns) {
    c.seq = 0;
    c.inflight = 0;
  }

  const startMs = performance.now();
  const endMs = startMs + cmd.durationMs;
  let windowOpen = true;
  /** set when the run has returned its result: answers after that change nothing */
  let over = false;
  let onIdle: (() => void) | undefined;
  let inflightTotal = 0;

  /** `now`: performance.now() of the answer */
  const answered = (c: Conn, now: number): void => {
    c.inflight--;
    inflightTotal--;
    if (cmd.mode === 'closed' && windowOpen && c.alive && now < endMs) publish(c);
    if (inflightTotal === 0) onIdle?.();
  };
  const sink: RunSink = {
    acked(c, m, t1) {
      if (over) return;
      acked++;
      ackedByDevice[c.device.index] = (ackedByDevice[c.device.index] ?? 0) + 1;
      recordMs(hist, t1 - m.t0);
      if (t1 - startMs > lastAckMs) lastAckMs = t1 - startMs;
      if (m.recordAt >= 0) records[m.recordAt + 3] = performance.timeOrigin + t1;
      if (t1 <= endMs) {
        ackedInWindow++;
        const s = Math.floor((t1 - startMs) / 1000);
        perSecond[s] = (perSecond[s] ?? 0) + 1;
      }
      answered(c, t1);
    },
    failed(c) {
      if (over) return;
      failed++;
      answered(c, performance.now());
    },
  };

  const publish = (c: Conn): void => {
    const n = c.seq++;
    let ts: number;
    if (cmd.mode === 'closed') {
      ts = cmd.tsBase + n;
    } else {
      // Wall-clock ms, bumped so that every message of a device is its own point.
      ts = Math.max(Math.round(wallMs()), c.lastTs + 1);
    }
    c.lastTs = ts;
    if (ts < tsMin) tsMin = ts;
    if (ts > tsMax) tsMax = ts;
    const recordAt = cmd.record ? records.length : -1;
    if (cmd.record) records.push(c.device.index, ts, wallMs(), Number.NaN);
    c.inflight++;
    inflightTotal++;
    published++;
    const m: InFlight = { t0: performance.now(), recordAt, sink };
    if (!c.publish(payloadOf(c, ts, n), m)) {
      // A broken connection: the message fails at once (and, closed loop, is not replaced).
      failed++;
      c.inflight--;
      inflightTotal--;
    }
  };

  if (cmd.mode === 'closed') {
    for (const c of conns) {
      c.socket.cork();
      for (let i = 0; i < cmd.window; i++) publish(c);
      c.socket.uncork();
    }
    await new Promise<void>((resolve) => setTimeout(resolve, cmd.durationMs));
  } else {
    // Open loop: whatever the answers, messages go out at `rate`, spread round-robin.
    let sent = 0;
    let rr = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - startMs;
        if (elapsed >= cmd.durationMs) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor((cmd.rate * elapsed) / 1000) - sent;
        for (let i = 0; i < due; i++) {
          const c = conns[rr++ % conns.length];
          sent++;
          if (!c) continue;
          if (c.inflight >= OPEN_LOOP_MAX_INFLIGHT) {
            skipped++;
            continue;
          }
          publish(c);
        }
      }, 1);
    });
  }
  windowOpen = false;
  const windowMs = performance.now() - startMs;

  // Let the last PUBACKs come in (bounded).
  if (inflightTotal > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, cmd.settleMs);
      onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  onIdle = undefined;
  over = true;
  for (let s = 0; s < Math.ceil(cmd.durationMs / 1000); s++) perSecond[s] ??= 0;
  return {
    published, acked, failed, unacked: inflightTotal, skipped, ackedInWindow, windowMs, lastAckMs, perSecond: perSecond.slice(0, Math.ceil(cmd.durationMs / 1000)),
    ackHistogram: hist, ackedByDevice, tsMin, tsMax, records: Float64Array.from(records),
  };
}

async function closeAll(): Promise<void> {
  await Promise.all(conns.map((c) => c.close()));
  conns = [];
}

process.on('message', (raw) => {
  const msg = raw as ToGenerator;
  const fail = (err: unknown): void => send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  switch (msg.type) {
    case 'connect':
      connectAll(msg.port, msg.devices, msg.clientIdPrefix).catch(fail);
      break;
    case 'run':
      send({ type: 'started' });
      run(msg).then((result) => send({ type: 'result', result }), fail);
      break;
    case 'close':
      void closeAll().finally(() => process.exit(0));
      break;
  }
});

// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
