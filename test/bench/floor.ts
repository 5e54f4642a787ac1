/**
 * `npm run bench:floor`: what one-message-per-read MQTT QoS 1 traffic costs on this machine
 * before the hub does any work of its own, and what the InfluxDB under it costs per point. It
 * answers one question: how many messages a second can this machine carry through *any* Node
 * MQTT ingest into influxd, with the load generator on the same cores?
 *
 * At each rate, open loop as in the bench's steps (the same generator, one connection per device,
 * messages spread round-robin), it measures CPU per acknowledged message of:
 * - `bare`: a Node server that frames MQTT by hand and only answers (floor-server.ts);
 * - `aedes`: aedes as the hub serves it, with every publish authorised at once (floor-server.ts);
 * - `hub`: the hub itself, started as the bench starts it, writing to an influxd of its own;
 * - `mosquitto`: the peer's broker, in C, acknowledging from memory (for scale);
 * and the generator beside each. Then influxd alone: position lines like the hub's, posted in
 * batches of 5,000 at the same rates, CPU per point. `--parts` picks some of them.
 *
 * Method and figures: docs/bench.md.
 */
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startInfluxd } from '../support/influxd.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { GeneratorPool } from './generators.ts';
import { createDatabase } from './influx.ts';
import { FLOOR_USAGE, UsageError, parseFloorOptions, type FloorOptions, type FloorPart } from './options.ts';
import { registerDevices, startHubProcess } from './hub-process.ts';
import type { BenchDevice } from './protocol.ts';
import { startMosquitto } from './peer.ts';
import { benchCommands, requirePackages, resolveCommand } from './requirements.ts';
import { REPO, childPidsNamed, freePort, killAllNow, sleep, startChild, tcpOpen, waitFor } from './processes.ts';
import { readMachine, readProc } from './procstat.ts';
import { round } from './stats.ts';
import { fmt, table } from './format.ts';

const SERVER = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
/** the hub's InfluxDB batch (history-writer.ts) and the peer's join count */
const INFLUX_BATCH = 5000;
const WARM_UP_MS = 5000;

const log = (s: string): void => {
  process.stderr.write(`[floor ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};

/** CPU seconds of a group of processes (a role) or of the whole machine. */
type Reader = () => number;
const ofPids = (pids: readonly number[]): Reader => () => pids.reduce((s, pid) => s + (readProc(pid)?.cpuS ?? 0), 0);
const ofMachine: Reader = () => readMachine().cpuS;

/** CPU seconds each reader used while `work` ran, and the wall seconds. */
async function measured<T>(readers: Record<string, Reader>, work: () => Promise<T>): Promise<{ result: T; cpuS: Record<string, number>; wallS: number }> {
  const before = Object.fromEntries(Object.entries(readers).map(([k, r]) => [k, r()]));
  const t0 = performance.now();
  const result = await work();
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = Object.fromEntries(Object.entries(readers).map(([k, r]) => [k, r() - (before[k] ?? 0)]));
  return { result, cpuS, wallS };
}

interface BrokerStep {
  server: string;
  rate: number;
  /** PUBACKs inside the window, per second */
  ackedPerSec: number;
  /** sent late or not at all: skipped (too many in flight), failed, never acknowledged */
  shortfall: number;
  serverUsPerMsg: number;
  serverCpuPct: number;
  generatorUsPerMsg: number;
  machineCpuPct: number;
}

interface InfluxStep {
  rate: number;
  pointsPerSec: number;
  usPerPoint: number;
  cpuPct: number;
}

/** A server under measurement: where the generator connects, whose CPU counts, how to stop it. */
interface Server {
  port: number;
  pids: number[];
  devices: BenchDevice[];
  stop(): Promise<void>;
}

type ServerKind = Exclude<FloorPart, 'influxd'>;

async function startServer(kind: ServerKind, opts: FloorOptions, workDir: string): Promise<Server> {
  const port = await freePort();
  const anyDevices = Array.from({ length: opts.connections }, (_, i) => ({ id: `floor-${i}`, secret: 'floor', index: i }));
  if (kind === 'mosquitto') {
    const mosquitto = await startMosquitto(workDir, port);
    return { port, pids: [mosquitto.pid], devices: anyDevices, stop: () => mosquitto.stop() };
  }
  if (kind === 'hub') {
    // The hub as the bench runs it, with its own influxd (whose CPU is not the hub's).
    const influx = await startInfluxd({ binary: resolveCommand('influxd') });
    try {
      await createDatabase(influx.url, 'floor_hub');
      const hub = await startHubProcess({ work: workDir, influxUrl: influx.url, influxDb: 'floor_hub', profile: false, log });
      log(`hub up; registering ${opts.connections} trackers`);
      const devices = await registerDevices(hub, opts.connections);
      return {
        port: hub.mqttPort, pids: [hub.child.pid], devices,
        async stop() {
          await hub.child.stop(15_000);
          await influx.stop();
        },
      };
    } catch (err) {
      await influx.stop();
      throw err;
    }
  }
  const child = startChild(`floor ${kind}`, process.execPath, ['--import', 'tsx', SERVER, kind, String(port)], { cwd: REPO });
  if (!(await waitFor(() => tcpOpen(port), 30_000, 100))) {
    await child.stop();
    throw new Error(`floor ${kind} server did not listen on ${port}:\n${child.output()}`);
  }
  return { port, pids: [child.pid], devices: anyDevices, stop: () => child.stop() };
}

async function brokerSteps(kind: ServerKind, opts: FloorOptions, workDir: string): Promise<BrokerStep[]> {
  const server = await startServer(kind, opts, workDir);
  let pool: GeneratorPool | undefined;
  try {
    pool = await GeneratorPool.start(1, server.devices, server.port, `floor-${kind}-`, REPO);
    const generators = pool;
    // Unmeasured warm-up at the first rate: the JIT and V8's young generation (which starts
    // small and grows) would otherwise weigh on the first step of the Node servers only.
    await generators.run({ mode: 'open', window: 0, rate: opts.rates[0]!, durationMs: WARM_UP_MS, tsBase: 0, record: false, settleMs: 10_000 });
    const steps: BrokerStep[] = [];
    for (const rate of opts.rates) {
      const { result: run, cpuS, wallS } = await measured({ server: ofPids(server.pids), generator: ofPids(generators.pids), machine: ofMachine }, () =>
        generators.run({ mode: 'open', window: 0, rate, durationMs: opts.stepS * 1000, tsBase: 0, record: false, settleMs: 10_000 }),
      );
      const perMsg = (s: number | undefined): number => round(((s ?? 0) * 1e6) / Math.max(1, run.acked), 1);
      const step: BrokerStep = {
        server: kind, rate, ackedPerSec: Math.round(run.ackedInWindow / (run.windowMs / 1000)),
        shortfall: run.skipped + run.failed + run.unacked,
        serverUsPerMsg: perMsg(cpuS.server), serverCpuPct: round(((cpuS.server ?? 0) / wallS) * 100, 0),
        generatorUsPerMsg: perMsg(cpuS.generator), machineCpuPct: round(((cpuS.machine ?? 0) / wallS) * 100, 0),
      };
      log(`${kind} at ${rate} msgs/s: ${step.ackedPerSec} acked/s, ${step.serverUsPerMsg} µs/msg (${step.serverCpuPct} %), generator ${step.generatorUsPerMsg} µs/msg`);
      steps.push(step);
    }
    return steps;
  } finally {
    await pool?.close();
    await server.stop();
  }
}

/** Position lines as the hub writes them (history-points.ts), every one its own point. */
function positionLines(from: number, count: number, devices: number, tsBase: number): string {
  const lines: string[] = [];
  for (let n = from; n < from + count; n++) {
    const d = n % devices;
    lines.push(`position,device=floor-${d},vehicle=floor-veh-${d} courseDeg=${n % 360},fix=T,lat=${(48.5 + (n % 9973) / 1e6).toFixed(6)},lon=${(32.2 + (n % 7919) / 1e6).toFixed(6)},speedKmh=${n % 60} ${tsBase + Math.floor(n / devices)}`);
  }
  return lines.join('\n');
}

async function influxSteps(opts: FloorOptions): Promise<InfluxStep[]> {
  const influx = await startInfluxd({ binary: resolveCommand('influxd') });
  try {
    const pids = childPidsNamed('influxd');
    const db = 'floor';
    await createDatabase(influx.url, db);
    const steps: InfluxStep[] = [];
    let sent = 0;
    const tsBase = Date.now() - 3 * 3600_000;
    for (const rate of opts.rates) {
      const total = rate * opts.stepS;
      const { result: written, cpuS, wallS } = await measured({ influxd: ofPids(pids) }, async () => {
        // One batch every INFLUX_BATCH / rate seconds, as a writer keeping up with `rate` would send.
        const start = performance.now();
        let done = 0;
        while (done < total) {
          const count = Math.min(INFLUX_BATCH, total - done);
          const body = positionLines(sent + done, count, opts.connections, tsBase);
          const res = await fetch(`${influx.url}/write?db=${db}&precision=ms`, { method: 'POST', body });
          if (res.status !== 204) throw new Error(`influxd /write answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
          done += count;
          const due = start + (done / rate) * 1000;
          if (due > performance.now()) await sleep(due - performance.now());
        }
        return done;
      });
      sent += written;
      const step: InfluxStep = {
        rate, pointsPerSec: Math.round(written / wallS), usPerPoint: round(((cpuS.influxd ?? 0) * 1e6) / written, 1),
        cpuPct: round(((cpuS.influxd ?? 0) / wallS) * 100, 0),
      };
      log(`influxd at ${rate} points/s: ${step.pointsPerSec} written/s, ${step.usPerPoint} µs/point (${step.cpuPct} %)`);
      steps.push(step);
    }
    return steps;
  } finally {
    await influx.stop();
  }
}

async function main(): Promise<void> {
  let opts: FloorOptions;
  try {
    const parsed = parseFloorOptions(process.argv.slice(2));
    if (parsed === 'help') {
      console.log(FLOOR_USAGE);
      return;
    }
    opts = parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${FLOOR_USAGE}`);
    process.exitCode = 2;
    return;
  }
  // The hub part writes to an influxd of its own; mosquitto is a part of its own.
  const needs = benchCommands({ influxd: opts.parts.includes('influxd') || opts.parts.includes('hub'), mosquitto: opts.parts.includes('mosquitto') });
  if (!requirePackages('npm run bench:floor', needs).ok) {
    process.exitCode = 1;
    return;
  }
  const work = makeTempDir('bench-floor');
  try {
    const brokers: BrokerStep[] = [];
    const servers = opts.parts.filter((p): p is ServerKind => p !== 'influxd');
    for (const kind of servers) brokers.push(...(await brokerSteps(kind, opts, work.path)));
    const influx = opts.parts.includes('influxd') ? await influxSteps(opts) : [];
    const rows = [['', ...opts.rates.map((r) => `${fmt(r)} msgs/s`)]];
    const step = (kind: ServerKind, rate: number): BrokerStep | undefined => brokers.find((b) => b.server === kind && b.rate === rate);
    for (const kind of servers) {
      rows.push([`${kind}: acked msgs/s (short)`, ...opts.rates.map((r) => `${fmt(step(kind, r)?.ackedPerSec)} (${fmt(step(kind, r)?.shortfall)})`)]);
      rows.push([`${kind}: server µs/msg (CPU %)`, ...opts.rates.map((r) => `${fmt(step(kind, r)?.serverUsPerMsg, 1)} (${fmt(step(kind, r)?.serverCpuPct)})`)]);
      rows.push([`${kind}: generator µs/msg`, ...opts.rates.map((r) => fmt(step(kind, r)?.generatorUsPerMsg, 1))]);
    }
    const influxAt = (rate: number): InfluxStep | undefined => influx.find((i) => i.rate === rate);
    if (influx.length) rows.push(['influxd: µs/point (CPU %)', ...opts.rates.map((r) => `${fmt(influxAt(r)?.usPerPoint, 1)} (${fmt(influxAt(r)?.cpuPct)})`)]);
    // What a server, its generator and influxd need together at each rate, against the machine.
    const need: Partial<Record<ServerKind, number[]>> = {};
    for (const kind of influx.length ? servers.filter((k) => k === 'aedes' || k === 'hub') : []) {
      need[kind] = opts.rates.map((r) => round((r * ((step(kind, r)?.serverUsPerMsg ?? 0) + (step(kind, r)?.generatorUsPerMsg ?? 0) + (influxAt(r)?.usPerPoint ?? 0))) / 1e4, 0));
      rows.push([`${kind} + generator + influxd, CPU % of ${cpus().length * 100}`, ...need[kind].map((v) => fmt(v))]);
    }
    console.log(`\nmistohub bench:floor — ${cpus().length} cores, Node ${process.version}, ${fmt(opts.connections)} connections, ${opts.stepS} s steps, open loop\n`);
    console.log(table(rows));
    console.log(`\n${JSON.stringify({ cores: cpus().length, node: process.version, connections: opts.connections, stepS: opts.stepS, brokers, influx, withGeneratorAndInfluxCpuPct: need })}`);
  } finally {
    work.remove();
  }
}

process.on('exit', () => killAllNow());
main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exitCode = 1;
});
