/**
 * MQTT cabinets of `npm run bench:lighting`: a child process holding one MQTT connection per
 * cabinet, speaking MQTT 3.1.1 over raw sockets (mqtt-wire.ts; mqtt.js would cost the hub's two
 * cores far more per message). Each cabinet does what PRODUCT.md asks of one: it logs in with
 * its secret, subscribes to `v1/lighting/{id}/cmd` at QoS 1, reports its state once, and answers
 * every command with `cmd/ack` (`applied`) at QoS 1 (optionally followed by a state report at
 * the new level). The hub keeps an ack in its registry before it sends the PUBACK, so a PUBACK
 * of an ack is the moment the command is confirmed. Driven by the bench over IPC.
 */
import { connect, type Socket } from 'node:net';
import {
  CONNACK, CONNACK_RETURN_CODES, DISCONNECT_PACKET, PINGREQ_PACKET, PUBACK, PacketSplitter, PublishEncoder,
  decodePublish, encodeConnect, encodePuback, encodeSubscribe,
} from './mqtt-wire.ts';

export interface FleetCabinet { id: string; secret: string }

export type ToFleet =
  | { type: 'connect'; port: number; cabinets: FleetCabinet[]; reportState: boolean }
  | { type: 'reset' }
  | { type: 'progress' }
  | { type: 'collect' }
  | { type: 'close' };

/** One round's figures, per cabinet in the order they were given (wall-clock ms, NaN: none). */
export interface FleetRound {
  ids: string[];
  /** when the cabinet's first command of the round arrived */
  receivedAt: Float64Array;
  /** when the PUBACK of its ack came back: the hub had kept the ack */
  confirmedAt: Float64Array;
  /** commands received in the round (more than one: a resend or a superseding command) */
  commands: Uint32Array;
  /** ack publishes that failed (connection lost) */
  failed: number;
}

export type FromFleet =
  | { type: 'connected'; count: number; failures: string[] }
  | { type: 'reset' }
  | { type: 'progress'; received: number; confirmed: number; lost: number }
  | { type: 'collect'; round: FleetRound }
  | { type: 'error'; message: string };

const wallMs = (): number => performance.timeOrigin + performance.now();
const KEEPALIVE_S = 60;
const CONNECT_TIMEOUT_MS = 120_000;
/** Logins at once: each costs the hub a scrypt check, one at a time (its hashing queue holds 1024). */
const CONNECT_CONCURRENCY = 64;
const SUBACK = 0x90;
const PINGRESP = 0xd0;

class Cabinet {
  private socket: Socket | undefined;
  private readonly splitter = new PacketSplitter((h, b) => this.packet(h, b));
  private readonly stateTopic: PublishEncoder;
  private readonly ackTopic: PublishEncoder;
  private readonly cmdTopic: string;
  private nextId = 1;
  /** packet id → what its PUBACK means */
  private readonly pending = new Map<number, 'state' | 'ack'>();
  private ready: { resolve: () => void; reject: (e: Error) => void } | undefined;
  alive = false;
  lastSentMs = 0;
  receivedAt = Number.NaN;
  confirmedAt = Number.NaN;
  commands = 0;
  failed = 0;

  constructor(readonly spec: FleetCabinet, private readonly reportState: boolean) {
    this.stateTopic = new PublishEncoder(`v1/lighting/${spec.id}/state`);
    this.ackTopic = new PublishEncoder(`v1/lighting/${spec.id}/cmd/ack`);
    this.cmdTopic = `v1/lighting/${spec.id}/cmd`;
  }

  /** Logged in, subscribed, first state reported and acknowledged. */
  start(port: number): Promise<void> {
    const up = new Promise<void>((resolve, reject) => (this.ready = { resolve, reject }));
    const timer = setTimeout(() => this.fail(new Error(`not up within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    void up.then(() => clearTimeout(timer), () => clearTimeout(timer));
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket = socket;
    socket.on('connect', () => this.write(encodeConnect({ clientId: `bench-${this.spec.id}`, username: this.spec.id, password: this.spec.secret, keepalive: KEEPALIVE_S })));
    socket.on('data', (chunk: Buffer) => {
      socket.cork();
      try {
        this.splitter.push(chunk);
      } catch (err) {
        this.fail(err as Error);
      } finally {
        socket.uncork();
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
    return up;
  }

  private write(buf: Buffer): void {
    this.lastSentMs = performance.now();
    this.socket?.write(buf);
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  private publishState(level: number): void {
    const id = this.id();
    this.pending.set(id, 'state');
    this.write(this.stateTopic.encode(id, `{"ts":"${new Date().toISOString()}","level":${level},"on":${level > 0}}`));
  }

  private packet(header: number, body: Buffer): void {
    const type = header & 0xf0;
    if (type === CONNACK) {
      const code = body[1]!;
      if (code !== 0) return this.fail(new Error(`login refused: ${CONNACK_RETURN_CODES[code] ?? code}`));
      this.write(encodeSubscribe(this.id(), this.cmdTopic));
    } else if (type === SUBACK) {
      if (body[2] === 0x80) return this.fail(new Error('subscription refused'));
      this.publishState(0);
    } else if (type === PUBACK) {
      const id = (body[0]! << 8) | body[1]!;
      const what = this.pending.get(id);
      this.pending.delete(id);
      if (what === 'ack') {
        if (Number.isNaN(this.confirmedAt)) this.confirmedAt = wallMs();
      } else if (what === 'state' && this.ready) {
        this.alive = true;
        this.ready.resolve();
        this.ready = undefined;
      }
    } else if (type === 0x30) {
      const p = decodePublish(header, body);
      if (p.packetId) this.write(encodePuback(p.packetId));
      if (p.topic !== this.cmdTopic) return;
      if (Number.isNaN(this.receivedAt)) this.receivedAt = wallMs();
      this.commands++;
      const cmd = JSON.parse(p.payload.toString('utf8')) as { cmdId: string; action: string; level?: number };
      const id = this.id();
      this.pending.set(id, 'ack');
      this.write(this.ackTopic.encode(id, `{"cmdId":"${cmd.cmdId}","ts":"${new Date().toISOString()}","status":"applied"}`));
      if (this.reportState) this.publishState(cmd.action === 'off' ? 0 : cmd.level ?? 100);
    } else if (type !== PINGRESP) {
      // nothing else is expected; ignored
    }
  }

  pingIfIdle(now: number): void {
    if (this.alive && now - this.lastSentMs >= (KEEPALIVE_S * 1000) / 2) this.write(PINGREQ_PACKET);
  }

  reset(): void {
    this.receivedAt = Number.NaN;
    this.confirmedAt = Number.NaN;
    this.commands = 0;
    this.failed = 0;
  }

  private fail(err: Error): void {
    const wasAlive = this.alive;
    this.alive = false;
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    if (this.ready) {
      this.ready.reject(err);
      this.ready = undefined;
    }
    if (wasAlive) {
      lost++;
      for (const what of this.pending.values()) if (what === 'ack') this.failed++;
      this.pending.clear();
    }
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), 2000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.alive = false;
      socket.end(DISCONNECT_PACKET);
    });
  }
}

const cabinets: Cabinet[] = [];
let lost = 0;

const pinger = setInterval(() => {
  const now = performance.now();
  for (const c of cabinets) c.pingIfIdle(now);
}, 5000);
pinger.unref();

const send = (msg: FromFleet): void => {
  process.send?.(msg);
};

async function connectAll(port: number, specs: FleetCabinet[], reportState: boolean): Promise<void> {
  const failures: string[] = [];
  const queue = [...specs];
  const next = async (): Promise<void> => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const c = new Cabinet(s, reportState);
      try {
        await c.start(port);
        cabinets.push(c);
      } catch (err) {
        failures.push(`${s.id}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, next));
  send({ type: 'connected', count: cabinets.length, failures: failures.slice(0, 5) });
}

process.on('message', (raw) => {
  const msg = raw as ToFleet;
  try {
    switch (msg.type) {
      case 'connect':
        connectAll(msg.port, msg.cabinets, msg.reportState).catch((err: Error) => send({ type: 'error', message: err.stack ?? err.message }));
        break;
      case 'reset':
        for (const c of cabinets) c.reset();
        send({ type: 'reset' });
        break;
      case 'progress': {
        let received = 0;
        let confirmed = 0;
        for (const c of cabinets) {
          if (!Number.isNaN(c.receivedAt)) received++;
          if (!Number.isNaN(c.confirmedAt)) confirmed++;
        }
        send({ type: 'progress', received, confirmed, lost });
        break;
      }
      case 'collect':
        send({
          type: 'collect',
          round: {
            ids: cabinets.map((c) => c.spec.id),
            receivedAt: Float64Array.from(cabinets, (c) => c.receivedAt),
            confirmedAt: Float64Array.from(cabinets, (c) => c.confirmedAt),
            commands: Uint32Array.from(cabinets, (c) => c.commands),
            failed: cabinets.reduce((n, c) => n + c.failed, 0),
          },
        });
        break;
      case 'close':
        void Promise.all(cabinets.map((c) => c.close())).finally(() => process.exit(0));
        break;
    }
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
});

// Never outlive the bench.
process.on('disconnect', () => process.exit(0));
