/**
 * Load generator of `npm run bench`: a child process (so its CPU is measured apart from the
 * hub's) holding MQTT connections, one per tracker, publishing position messages at QoS 1.
 * Driven by the bench over IPC (protocol.ts).
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { BenchDevice, FromGenerator, RunResult, ToGenerator } from './protocol.ts';
import { newHistogram, recordMs } from './stats.ts';

interface Conn {
  device: BenchDevice;
  client: MqttClient;
  topic: string;
  inflight: number;
  seq: number;
  lastTs: number;
  lat: number;
  lon: number;
}

const wallMs = (): number => performance.timeOrigin + performance.now();
/** An open-loop connection never holds more than this many unacknowledged messages. */
const OPEN_LOOP_MAX_INFLIGHT = 1000;

let conns: Conn[] = [];

function send(msg: FromGenerator): void {
  process.send?.(msg);
}

async function connectAll(port: number, devices: BenchDevice[], prefix: string): Promise<void> {
  const failures: string[] = [];
  // A few at a time: each login costs the broker a scrypt check.
  const queue = [...devices];
  const next = async (): Promise<void> => {
    for (let d = queue.shift(); d; d = queue.shift()) {
      const device = d;
      try {
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
          clientId: `${prefix}-${device.id}`,
          username: device.id,
          password: device.secret,
          protocolVersion: 4,
          clean: true,
          keepalive: 60,
          reconnectPeriod: 1000,
          connectTimeout: 15_000,
        });
        client.on('error', () => undefined);
        conns.push({
          device, client, topic: `v1/transit/${device.id}/position`, inflight: 0, seq: 0, lastTs: 0,
          lat: 48.45 + (device.index % 100) * 0.001, lon: 32.2 + Math.floor(device.index / 100) * 0.001,
        });
      } catch (err) {
        failures.push(`${device.id}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, next));
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
  let tsMin = Number.POSITIVE_INFINITY;
  let tsMax = Number.NEGATIVE_INFINITY;
  for (const c of conns) {
    c.seq = 0;
    c.inflight = 0;
  }

  const startMs = performance.now();
  const endMs = startMs + cmd.durationMs;
  let windowOpen = true;
  let onIdle: (() => void) | undefined;
  let inflightTotal = 0;

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
    const t0 = performance.now();
    c.client.publish(c.topic, payloadOf(c, ts, n), { qos: 1 }, (err) => {
      const t1 = performance.now();
      c.inflight--;
      inflightTotal--;
      if (err) {
        failed++;
      } else {
        acked++;
        ackedByDevice[c.device.index] = (ackedByDevice[c.device.index] ?? 0) + 1;
        recordMs(hist, t1 - t0);
        if (recordAt >= 0) records[recordAt + 3] = performance.timeOrigin + t1;
        if (t1 <= endMs) {
          ackedInWindow++;
          const s = Math.floor((t1 - startMs) / 1000);
          perSecond[s] = (perSecond[s] ?? 0) + 1;
        }
      }
      if (cmd.mode === 'closed' && windowOpen && performance.now() < endMs) publish(c);
      if (inflightTotal === 0) onIdle?.();
    });
  };

  if (cmd.mode === 'closed') {
    for (const c of conns) for (let i = 0; i < cmd.window; i++) publish(c);
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
  for (let s = 0; s < Math.ceil(cmd.durationMs / 1000); s++) perSecond[s] ??= 0;
  return {
    published, acked, failed, unacked: inflightTotal, skipped, ackedInWindow, windowMs, perSecond: perSecond.slice(0, Math.ceil(cmd.durationMs / 1000)),
    ackHistogram: hist, ackedByDevice, tsMin, tsMax, records: Float64Array.from(records),
  };
}

async function closeAll(): Promise<void> {
  await Promise.all(conns.map((c) => c.client.endAsync(true).catch(() => undefined)));
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
