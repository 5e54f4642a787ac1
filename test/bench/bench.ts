/**
 * `npm run bench`: how fast the hub takes in QoS 1 position messages without losing one, how
 * soon they reach a dashboard, and the same load through a peer pipeline (mosquitto + Node-RED)
 * into the same influxd. Method and figures: docs/bench.md.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connectSocket } from 'socket.io-client';
import type { VehicleState } from '../../services/contracts/index.ts';
import { startInfluxd } from '../support/influxd.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { GeneratorPool } from './generators.ts';
import { registerDevices, startHubProcess, type HubProcess } from './hub-process.ts';
import { countPositions, createDatabase } from './influx.ts';
import { DEFAULTS, USAGE, UsageError, parseOptions, type BenchOptions } from './options.ts';
import { PEER_BATCH, PEER_NAME, ensurePeerInstalled, startMosquitto, startNodeRed } from './peer.ts';
import { BenchSetupError, benchCommands, requirePackages, resolveCommand } from './requirements.ts';
import { REPO, childPidsNamed, freePort, killAllNow, sleep, waitFor } from './processes.ts';
import { MACHINE, ProcSampler, type RoleFigures } from './procstat.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import type { BenchDevice, RunResult } from './protocol.ts';
import { benchSpool } from '../../services/spool/bench.ts';
import { histQuantile, quantile, round } from './stats.ts';
import { fmt, table } from './format.ts';
import { SEARCH_START, SEARCH_STEPS, bestKeptUp, searchSustainedRate } from './search.ts';

const HUB_DB = 'mistohub_bench';
const PEER_DB = 'peer_bench';
/** Closed-loop timestamps start this far in the past: unique per device, never in the future. */
const TS_BACK_MS = 3 * 3600_000;
/** The peer is taken to have written all it ever will once its count stands still this long. */
const PEER_STALL_MS = 5000;

const log = (s: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};

// ---------------------------------------------------------------- cleanup, whatever happens

const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const c = cleanups.pop();
      try {
        await c?.();
      } catch (err) {
        log(`while cleaning up: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping everything`);
    const hard = setTimeout(() => {
      killAllNow();
      process.exit(130);
    }, 20_000);
    hard.unref();
    void cleanup().finally(() => process.exit(130));
  });
}
process.on('exit', () => killAllNow());

// ---------------------------------------------------------------- helpers

async function metricValue(httpUrl: string, names: string[]): Promise<Record<string, number>> {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const out: Record<string, number> = {};
  // Counters with labels are summed over every label set.
  for (const name of names) {
    for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'gm'))) {
      if (m[1]) out[name] = (out[name] ?? 0) + Number(m[1]);
    }
  }
  return out;
}

const BACKLOG = 'mistohub_spool_backlog_records';
const LAG = 'mistohub_event_loop_lag_seconds';
const THROTTLED = 'mistohub_ingest_throttled';
const COUNTERS = {
  throttleWaits: 'mistohub_ingest_throttle_waits_total',
  rejected: 'mistohub_messages_rejected_total',
  accepted: 'mistohub_messages_accepted_total',
  storeWrites: 'mistohub_store_write_seconds_count',
  storeWriteSeconds: 'mistohub_store_write_seconds_sum',
  storeErrors: 'mistohub_store_write_errors_total',
} as const;
type CounterName = keyof typeof COUNTERS;

/** The hub's counters, read once (for differences over a phase). */
async function readCounters(httpUrl: string): Promise<Record<CounterName, number>> {
  const v = await metricValue(httpUrl, Object.values(COUNTERS));
  const out = {} as Record<CounterName, number>;
  for (const [key, name] of Object.entries(COUNTERS) as [CounterName, string][]) out[key] = v[name] ?? 0;
  return out;
}

function counterDelta(a: Record<CounterName, number>, b: Record<CounterName, number>): Record<CounterName, number> {
  const out = {} as Record<CounterName, number>;
  for (const key of Object.keys(COUNTERS) as CounterName[]) out[key] = b[key] - a[key];
  return out;
}

/** Polls the hub's /metrics every second: backlog and event-loop lag, with their peaks. */
class MetricsWatch {
  backlog = 0;
  backlogPeak = 0;
  lagPeakMs = 0;
  throttledSeen = false;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly httpUrl: string) {}
  start(): void {
    this.timer ??= setInterval(() => void this.poll(), 1000);
  }
  async poll(): Promise<void> {
    try {
      const v = await metricValue(this.httpUrl, [BACKLOG, LAG, THROTTLED]);
      if (v[BACKLOG] !== undefined) {
        this.backlog = v[BACKLOG];
        this.backlogPeak = Math.max(this.backlogPeak, this.backlog);
      }
      if (v[LAG] !== undefined) this.lagPeakMs = Math.max(this.lagPeakMs, v[LAG] * 1000);
      if (v[THROTTLED] === 1) this.throttledSeen = true;
    } catch {
      // a slow answer under load: next second
    }
  }
  resetPeaks(): void {
    this.backlogPeak = this.backlog;
    this.lagPeakMs = 0;
    this.throttledSeen = false;
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

interface Accounting {
  acked: number;
  stored: number;
  /** acknowledged by the broker, not in InfluxDB */
  lost: number;
  /** in InfluxDB but never acknowledged (published when a connection dropped, say) */
  extra: number;
}

/** Acked against stored, device by device, for the ts range of one run. */
async function account(influxUrl: string, db: string, run: RunResult, devices: BenchDevice[]): Promise<Accounting> {
  const { total, byDevice } = await countPositions(influxUrl, db, run.tsMin, run.tsMax);
  let lost = 0;
  let extra = 0;
  for (const d of devices) {
    const acked = run.ackedByDevice[d.index] ?? 0;
    const stored = byDevice.get(d.id) ?? 0;
    if (acked > stored) lost += acked - stored;
    else extra += stored - acked;
  }
  return { acked: run.acked, stored: total, lost, extra };
}

/** Waits until the spool is empty (bounded), then counts. */
interface OverloadFigures {
  offeredPerSec: number;
  /** what the generator managed to send: on two cores it may fall short of the offer */
  sentPerSec: number;
  /** PUBACKs inside the window ÷ the window */
  ackedPerSec: number;
  /** every PUBACK of the phase ÷ the time from its start to the last one: the hub's pace through the whole overload */
  ackedToLastPerSec: number;
  /** the last PUBACK came this long after the start */
  lastAckS: number;
  acked: number;
  lost: number;
  alive: boolean;
  /** health statuses seen, polled every 500 ms during the phase */
  health: Record<string, number>;
}

async function drainAndCount(watch: MetricsWatch, influxUrl: string, run: RunResult, devices: BenchDevice[], timeoutMs: number): Promise<Accounting & { drainS: number }> {
  const t0 = performance.now();
  await watch.poll();
  // The gauge is refreshed once a second inside the hub: it must read 0 twice in a row.
  let zeros = 0;
  await waitFor(async () => {
    await watch.poll();
    zeros = watch.backlog === 0 ? zeros + 1 : 0;
    return zeros >= 2;
  }, timeoutMs, 600);
  const drainS = (performance.now() - t0) / 1000;
  let acc = await account(influxUrl, HUB_DB, run, devices);
  // A last look in case the last batch was confirmed between the gauge's refreshes.
  for (let i = 0; i < 5 && acc.lost > 0; i++) {
    await sleep(1000);
    acc = await account(influxUrl, HUB_DB, run, devices);
  }
  return { ...acc, drainS };
}

/**
 * A closed-loop run and, beside it, how much of it InfluxDB holds when its window closes: a
 * pipeline that acknowledges faster than it stores only piles the difference up (in the hub's
 * spool, in mosquitto's queue or Node-RED's memory), so the rate it can keep up for good is the
 * smaller of the two.
 */
async function closedRunCountingStore(pool: GeneratorPool, opts: BenchOptions, influxUrl: string, db: string): Promise<{ run: RunResult; storedInWindow: number }> {
  const tsBase = Date.now() - TS_BACK_MS;
  const started = performance.now();
  const counted = (async () => {
    await sleep(opts.durationS * 1000);
    // Closed-loop ts are tsBase + a per-device sequence: far below the wall-clock ts of other phases.
    const { total } = await countPositions(influxUrl, db, tsBase, tsBase + TS_BACK_MS / 2);
    return total;
  })();
  const run = await pool.run({ mode: 'closed', window: opts.window, rate: 0, durationMs: opts.durationS * 1000, tsBase, record: false, settleMs: 30_000 });
  const storedInWindow = await counted;
  log(`  ${fmt(storedInWindow)} of them in InfluxDB when the window closed (${((performance.now() - started) / 1000).toFixed(1)} s after the start)`);
  return { run, storedInWindow };
}

/** Acknowledged and stored rates of a closed-loop window, and the one it can keep up. */
function windowRates(run: RunResult, storedInWindow: number): { ackedPerSec: number; storedPerSec: number; sustainedPerSec: number } {
  const seconds = run.windowMs / 1000;
  const ackedPerSec = run.ackedInWindow / seconds;
  const storedPerSec = storedInWindow / seconds;
  return { ackedPerSec, storedPerSec, sustainedPerSec: Math.min(ackedPerSec, storedPerSec) };
}

function ackPercentiles(run: RunResult): { p50: number; p99: number } {
  return { p50: histQuantile(run.ackHistogram, 0.5), p99: histQuantile(run.ackHistogram, 0.99) };
}

function perSecondSpread(run: RunResult): { min: number; median: number; max: number } {
  // The first second holds connection warm-up and JIT: it is left out of the spread.
  const steady = run.perSecond.slice(1);
  const list = steady.length ? steady : run.perSecond;
  return { min: Math.min(...list), median: quantile(list, 0.5), max: Math.max(...list) };
}

// ---------------------------------------------------------------- latency on Socket.IO

interface LatencyFigures {
  published: number;
  acked: number;
  /** pushes whose (vehicleId, ts) matched a published message */
  matched: number;
  /** publish → arrival of that very message on Socket.IO */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** publish → first push showing this message or a newer one of the vehicle (every message counts) */
  freshP50Ms: number;
  freshP99Ms: number;
  /** publish → PUBACK */
  pubackP50Ms: number;
  pubackP99Ms: number;
  /** messages the open loop could not send on time (a connection had 1,000 unacknowledged) */
  skipped: number;
}

function latencyFigures(run: RunResult, arrivals: Map<string, { ts: number; at: number }[]>): LatencyFigures {
  const r = run.records;
  const publishedAt = new Map<string, number>();
  const perVehicle = new Map<string, { ts: number; pub: number }[]>();
  const puback: number[] = [];
  for (let i = 0; i + 3 < r.length; i += 4) {
    const vehicle = `bench-veh-${r[i] ?? -1}`;
    const ts = r[i + 1] ?? 0;
    const pub = r[i + 2] ?? 0;
    const ack = r[i + 3] ?? Number.NaN;
    publishedAt.set(`${vehicle}|${ts}`, pub);
    (perVehicle.get(vehicle) ?? perVehicle.set(vehicle, []).get(vehicle)!).push({ ts, pub });
    if (Number.isFinite(ack)) puback.push(ack - pub);
  }
  const exact: number[] = [];
  for (const [vehicle, list] of arrivals) {
    for (const a of list) {
      const pub = publishedAt.get(`${vehicle}|${a.ts}`);
      if (pub !== undefined) exact.push(a.at - pub);
    }
  }
  // Freshness: for each published message, the first push of its vehicle at or after it.
  const fresh: number[] = [];
  for (const [vehicle, pubs] of perVehicle) {
    const seen = (arrivals.get(vehicle) ?? []).slice().sort((a, b) => a.at - b.at);
    pubs.sort((a, b) => a.ts - b.ts);
    let j = 0;
    for (const p of pubs) {
      while (j < seen.length && (seen[j]?.ts ?? 0) < p.ts) j++;
      const first = seen[j];
      if (first) fresh.push(first.at - p.pub);
    }
  }
  return {
    published: run.published, acked: run.acked, matched: exact.length,
    p50Ms: quantile(exact, 0.5), p99Ms: quantile(exact, 0.99), maxMs: exact.length ? Math.max(...exact) : Number.NaN,
    freshP50Ms: quantile(fresh, 0.5), freshP99Ms: quantile(fresh, 0.99),
    pubackP50Ms: quantile(puback, 0.5), pubackP99Ms: quantile(puback, 0.99), skipped: run.skipped,
  };
}

async function runLatencyPhase(hub: HubProcess, pool: GeneratorPool, opts: BenchOptions): Promise<{ run: RunResult; figures: LatencyFigures }> {
  const arrivals = new Map<string, { ts: number; at: number }[]>();
  const socket = connectSocket(`${hub.httpUrl}/transit`, { auth: { token: hub.token }, transports: ['websocket'], reconnection: false });
  cleanups.push(() => {
    socket.close();
  });
  const record = (list: VehicleState[]): void => {
    const at = performance.timeOrigin + performance.now();
    for (const v of list) (arrivals.get(v.vehicleId) ?? arrivals.set(v.vehicleId, []).get(v.vehicleId)!).push({ ts: Date.parse(v.ts), at });
  };
  const gotSnapshot = new Promise<void>((resolve, reject) => {
    socket.once('snapshot', () => resolve());
    socket.once('connect_error', (err: Error) => reject(new Error(`Socket.IO: ${err.message}`)));
    setTimeout(() => reject(new Error('Socket.IO: no snapshot within 15 s')), 15_000).unref();
  });
  socket.on('vehicles', record);
  await gotSnapshot;
  const run = await pool.run({ mode: 'open', window: 0, rate: opts.rate, durationMs: opts.latencyDurationS * 1000, tsBase: 0, record: true, settleMs: 15_000 });
  // The last messages show in the next push or two.
  await sleep(1500);
  socket.close();
  return { run, figures: latencyFigures(run, arrivals) };
}

// ---------------------------------------------------------------- the peer

interface PeerFigures {
  run: RunResult;
  acc: Accounting;
  msgsPerSec: number;
  /** stored / seconds from the start of the run to the last point reaching InfluxDB */
  storedPerSec: number;
  rates: ReturnType<typeof windowRates>;
  /** open-loop steps at fixed rates (peerSustainedSteps) */
  steps: RateStep[];
  drainS: number;
  drainComplete: boolean;
  cpu: RoleFigures;
  cpuMosquitto: RoleFigures;
  cpuNodeRed: RoleFigures;
  generator: RoleFigures;
  influxd: RoleFigures;
  /** CPU of every other process on the machine during the run (other work disturbing the figures) */
  otherCpuPct: number;
  errors: string[];
}

/** One open-loop step at a fixed rate: was everything stored, and did the store keep pace while it ran? */
interface RateStep {
  rate: number;
  published: number;
  acked: number;
  /** PUBACKs inside the window */
  ackedInWindow: number;
  /** in InfluxDB when the window closed */
  storedInWindow: number;
  /** in InfluxDB at the end, after at most STEP_DRAIN_S */
  stored: number;
  lost: number;
  keptUp: boolean;
  /** CPU % of the pipeline and of the load generator during the step (one core = 100) */
  cpuPct: number;
  generatorCpuPct: number;
}

/** How long a pipeline may take after a step to write what it still holds: one that keeps up needs a batch or two. */
const STEP_DRAIN_S = 20;
/**
 * How far behind the sending a pipeline may be when a step's window closes, as a share of the
 * step (0.8 s of an 8 s step), for acknowledgements and for InfluxDB alike. Both pipelines write
 * in batches (the hub after at most 100 ms, Node-RED's join every 5,000 points or second), so a
 * few tenths of a second of lag are their design; one managing less than 90 % of the rate falls
 * further behind than this and has not kept up. A share rather than fixed seconds, so that
 * shorter steps are no easier to pass. (Until session 3 it was 2 s of a 10 s step, 20 %: a
 * pipeline managing 85 % of a rate passed.)
 */
const KEEP_PACE_SHARE = 0.1;

/** Sends `rate` msgs/s for `seconds` (open loop) into a pipeline writing to `db`, and says whether it kept up. */
async function measureStep(pool: GeneratorPool, influxUrl: string, db: string, devices: BenchDevice[], rate: number, seconds: number, label: string, cpu: { sampler: ProcSampler; pipeline: string; generator: string }): Promise<RateStep> {
  log(`${label}: ${fmt(rate)} msgs/s, open loop, ${seconds} s`);
  const cpuWindow = cpu.sampler.begin([cpu.pipeline, cpu.generator]);
  // Open-loop ts are wall-clock ms: this step's are the ones from its start on.
  const fromTs = Date.now();
  const counted = (async () => {
    await sleep(seconds * 1000);
    return (await countPositions(influxUrl, db, fromTs, fromTs + 3600_000)).total;
  })();
  const run = await pool.run({ mode: 'open', window: 0, rate, durationMs: seconds * 1000, tsBase: 0, record: false, settleMs: 30_000 });
  const used = cpuWindow.end();
  const cpuPct = used[cpu.pipeline]?.cpuPct ?? Number.NaN;
  const generatorCpuPct = used[cpu.generator]?.cpuPct ?? Number.NaN;
  const storedInWindow = await counted;
  await waitFor(async () => (await countPositions(influxUrl, db, run.tsMin, run.tsMax)).total >= run.acked, STEP_DRAIN_S * 1000, 1000);
  const acc = await account(influxUrl, db, run, devices);
  // Kept up: everything sent on time, acknowledged and stored at most KEEP_PACE_SHARE behind, nothing lost.
  const pace = run.published * (1 - KEEP_PACE_SHARE);
  const keptUp = acc.lost === 0 && run.failed === 0 && run.skipped === 0 && run.ackedInWindow >= pace && storedInWindow >= pace;
  log(`  sent ${fmt(run.published)}; acked in the window ${fmt(run.ackedInWindow)}, in InfluxDB at its close ${fmt(storedInWindow)}, at the end ${fmt(acc.stored)}, lost ${fmt(acc.lost)}; CPU ${fmt(cpuPct)} %, generator ${fmt(generatorCpuPct)} %: ${keptUp ? 'kept up' : 'did not keep up'}`);
  return { rate, published: run.published, acked: run.acked, ackedInWindow: run.ackedInWindow, storedInWindow, stored: acc.stored, lost: acc.lost, keptUp, cpuPct: round(cpuPct), generatorCpuPct: round(generatorCpuPct) };
}

/**
 * The peer's steps, each on a freshly started mosquitto and Node-RED and its own database, so
 * that what one step left queued cannot weigh on the next. mosquitto acknowledging from memory
 * far faster than Node-RED writes says nothing about what the pipeline can sustain.
 */
async function peerSustainedSteps(work: string, influxUrl: string, devices: BenchDevice[], opts: BenchOptions, start: number, sampler: ProcSampler): Promise<RateStep[]> {
  const cache = await ensurePeerInstalled(log);
  return searchSustainedRate(start * SEARCH_START, SEARCH_STEPS, async (rate, n) => {
    const db = `${PEER_DB}_step${n}`;
    await createDatabase(influxUrl, db);
    const mqttPort = await freePort();
    const stepDir = join(work, `step${n}`);
    mkdirSync(stepDir, { recursive: true });
    const mosquitto = await startMosquitto(stepDir, mqttPort);
    const userDir = join(work, `node-red-step${n}`);
    mkdirSync(userDir, { recursive: true });
    const nodeRed = await startNodeRed(cache, userDir, mqttPort, await freePort(), influxUrl, db);
    const pool = await GeneratorPool.start(opts.generators, devices, mqttPort, `peer${n}`, REPO);
    sampler.setRole('peer-step', [mosquitto.pid, nodeRed.child.pid]);
    sampler.setRole('peer-step-generator', pool.pids);
    try {
      return await measureStep(pool, influxUrl, db, devices, rate, opts.stepS, `peer step ${n}`, { sampler, pipeline: 'peer-step', generator: 'peer-step-generator' });
    } finally {
      await pool.close();
      await nodeRed.child.stop();
      await mosquitto.stop();
    }
  });
}

async function runPeer(work: string, influxUrl: string, influxPids: number[], devices: BenchDevice[], sampler: ProcSampler, opts: BenchOptions): Promise<PeerFigures> {
  const cache = await ensurePeerInstalled(log);
  await createDatabase(influxUrl, PEER_DB);
  const mqttPort = await freePort();
  const mosquitto = await startMosquitto(work, mqttPort);
  cleanups.push(() => mosquitto.stop());
  const userDir = join(work, 'node-red');
  mkdirSync(userDir, { recursive: true });
  const nodeRed = await startNodeRed(cache, userDir, mqttPort, await freePort(), influxUrl, PEER_DB);
  cleanups.push(() => nodeRed.child.stop());
  log(`peer up: mosquitto pid ${mosquitto.pid}, Node-RED pid ${nodeRed.child.pid}`);

  const pool = await GeneratorPool.start(opts.generators, devices, mqttPort, 'peer', REPO);
  cleanups.push(() => pool.close());
  sampler.setRole('peer', [mosquitto.pid, nodeRed.child.pid]);
  sampler.setRole('mosquitto', [mosquitto.pid]);
  sampler.setRole('node-red', [nodeRed.child.pid]);
  sampler.setRole('peer-generator', pool.pids);
  sampler.setRole('influxd', influxPids);

  log(`peer capacity: ${opts.connections} connections × ${opts.window} in flight for ${opts.durationS} s`);
  const startedAt = performance.now();
  const window = sampler.begin(['peer', 'mosquitto', 'node-red', 'peer-generator', 'influxd', 'bench', MACHINE]);
  const { run, storedInWindow } = await closedRunCountingStore(pool, opts, influxUrl, PEER_DB);
  const during = window.end();
  await pool.close();
  log(`peer: ${run.acked} acknowledged by mosquitto; waiting (≤ ${opts.peerDrainS} s) for Node-RED to write them`);

  // Node-RED keeps writing what mosquitto queued for it: count until everything is in, or the
  // count has not moved for PEER_STALL_MS (Node-RED writes at least once a second while it has
  // anything), or the drain time is up.
  const drainStart = performance.now();
  let stored = 0;
  let lastGrowth = performance.now();
  let complete = false;
  await waitFor(async () => {
    const { total } = await countPositions(influxUrl, PEER_DB, run.tsMin, run.tsMax);
    if (total > stored) {
      stored = total;
      lastGrowth = performance.now();
    }
    complete = stored >= run.acked;
    return complete || performance.now() - lastGrowth > PEER_STALL_MS;
  }, opts.peerDrainS * 1000, 1000);
  const drainS = (performance.now() - drainStart) / 1000;
  const acc = await account(influxUrl, PEER_DB, run, devices);
  const storedSpanS = Math.max(run.windowMs / 1000, (lastGrowth - startedAt) / 1000);
  await nodeRed.child.stop();
  await mosquitto.stop();
  const steps = opts.stepS > 0 ? await peerSustainedSteps(work, influxUrl, devices, opts, acc.stored / storedSpanS, sampler) : [];
  return {
    steps,
    run, acc, msgsPerSec: run.ackedInWindow / (run.windowMs / 1000), rates: windowRates(run, storedInWindow), storedPerSec: acc.stored / storedSpanS, drainS, drainComplete: complete,
    otherCpuPct: during[MACHINE]!.cpuPct - during.peer!.cpuPct - during['peer-generator']!.cpuPct - during.influxd!.cpuPct - during.bench!.cpuPct,
    cpu: during.peer!, cpuMosquitto: during.mosquitto!, cpuNodeRed: during['node-red']!, generator: during['peer-generator']!, influxd: during.influxd!,
    errors: nodeRed.errors(),
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const startedMs = performance.now();
  let opts: BenchOptions;
  try {
    const parsed = parseOptions(process.argv.slice(2), process.env);
    if (parsed === 'help') {
      console.log(USAGE);
      return;
    }
    opts = parsed;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }

  // Before anything starts: influxd, and mosquitto for the peer, installed (as root) or named.
  if (!requirePackages('npm run bench', benchCommands({ influxd: true, mosquitto: opts.peer })).ok) {
    process.exitCode = 1;
    return;
  }

  const work = makeTempDir('bench');
  cleanups.push(() => work.remove());
  const sampler = new ProcSampler();
  // The bench itself (Socket.IO client, sampling, IPC) is not "other processes".
  sampler.setRole('bench', [process.pid, process.ppid]);
  sampler.start();
  cleanups.push(() => sampler.stop());

  // The spool alone, before anything else runs: how fast durable appends go on this disk.
  log('spool alone: 200,000 durable appends of 200 bytes from 1,000 appenders');
  const spool = await benchSpool();
  log(`spool alone: ${fmt(spool.appendsPerSec)} appends/s, ${fmt(spool.recordsPerFsync)} records per fsync`);

  log('starting influxd');
  const influx = await startInfluxd({ binary: resolveCommand('influxd') });
  cleanups.push(() => influx.stop());
  const influxPids = childPidsNamed('influxd');
  await createDatabase(influx.url, HUB_DB);

  log(`starting the hub (node --import tsx services/hub/main.ts${opts.profile ? ', --cpu-prof' : ''})`);
  const hub = await startHubProcess({ work: work.path, influxUrl: influx.url, influxDb: HUB_DB, profile: opts.profile, log });
  cleanups.push(() => hub.child.stop(15_000));
  log(`hub up: pid ${hub.child.pid}, ${hub.httpUrl}, MQTT ${hub.mqttPort}; registering ${opts.connections} trackers`);
  const devices = await registerDevices(hub, opts.connections);
  const watch = new MetricsWatch(hub.httpUrl);
  watch.start();
  cleanups.push(() => watch.stop());

  const pool = await GeneratorPool.start(opts.generators, devices, hub.mqttPort, 'bench', REPO);
  cleanups.push(() => pool.close());
  sampler.setRole('hub', [hub.child.pid]);
  sampler.setRole('generator', pool.pids);
  sampler.setRole('influxd', influxPids);

  // a. capacity: closed loop, `window` in flight on every connection
  log(`capacity: ${opts.connections} connections × ${opts.window} in flight, QoS 1, ${opts.durationS} s`);
  watch.resetPeaks();
  const capCounters0 = await readCounters(hub.httpUrl);
  const capWindow = sampler.begin(['hub', 'generator', 'influxd', 'bench', MACHINE]);
  const { run: cap, storedInWindow: capStoredInWindow } = await closedRunCountingStore(pool, opts, influx.url, HUB_DB);
  const capRates = windowRates(cap, capStoredInWindow);
  const capCpu = capWindow.end();
  const capLagPeakMs = watch.lagPeakMs;
  const capThrottled = watch.throttledSeen;
  const capMsgsPerSec = cap.ackedInWindow / (cap.windowMs / 1000);
  log(`capacity: ${fmt(cap.acked)} acknowledged, ${fmt(capMsgsPerSec)} msgs/s; waiting for the spool to drain`);
  const capAcc = await drainAndCount(watch, influx.url, cap, devices, 180_000);
  const capCounters = counterDelta(capCounters0, await readCounters(hub.httpUrl));
  const backlogPeak = watch.backlogPeak;
  log(`capacity: ${fmt(capAcc.stored)} stored of ${fmt(capAcc.acked)} acknowledged (drained in ${capAcc.drainS.toFixed(1)} s)`);

  // b. latency: open loop at a fixed rate, Socket.IO client in this process
  log(`latency: ${fmt(opts.rate)} msgs/s for ${opts.latencyDurationS} s, Socket.IO /transit`);
  watch.resetPeaks();
  const latWindow = sampler.begin(['hub', 'generator', 'influxd', 'bench', MACHINE]);
  const lat = await runLatencyPhase(hub, pool, opts);
  const latCpu = latWindow.end();
  const latAcc = await drainAndCount(watch, influx.url, lat.run, devices, 120_000);
  log(`latency: ${fmt(lat.figures.matched)} pushes matched; p50 ${fmt(lat.figures.p50Ms, 1)} ms, p99 ${fmt(lat.figures.p99Ms, 1)} ms`);

  // b2. sustained: open-loop steps at fixed rates from the capacity, the same search as the peer's.
  const capStoredEndToEnd = capAcc.stored / (cap.windowMs / 1000 + capAcc.drainS);
  const hubSteps = opts.stepS > 0 ? await searchSustainedRate(capStoredEndToEnd * SEARCH_START, SEARCH_STEPS, (rate, n) => measureStep(pool, influx.url, HUB_DB, devices, rate, opts.stepS, `hub step ${n}`, { sampler, pipeline: 'hub', generator: 'generator' })) : [];

  // c. overload: open loop at three times the measured capacity. The hub must stay up, say
  // `degraded` while it slows intake, and lose nothing it acknowledged.
  let overload: OverloadFigures | undefined;
  if (opts.overloadDurationS > 0) {
    const offered = Math.round(3 * capMsgsPerSec);
    log(`overload: ${fmt(offered)} msgs/s offered (3 × capacity) for ${opts.overloadDurationS} s`);
    const health = new Map<string, number>();
    const note = (status: string) => health.set(status, (health.get(status) ?? 0) + 1);
    const poller = setInterval(() => {
      fetch(`${hub.httpUrl}/api/v1/health`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => note(((await r.json()) as { status: string }).status))
        .catch(() => note('no answer'));
    }, 500);
    const over = await pool.run({ mode: 'open', window: 0, rate: offered, durationMs: opts.overloadDurationS * 1000, tsBase: 0, record: false, settleMs: 30_000 });
    clearInterval(poller);
    const alive = hub.child.proc.exitCode === null;
    const overAcc = await drainAndCount(watch, influx.url, over, devices, 300_000);
    overload = {
      offeredPerSec: offered,
      sentPerSec: over.published / (over.windowMs / 1000),
      ackedPerSec: over.ackedInWindow / (over.windowMs / 1000),
      ackedToLastPerSec: over.lastAckMs > 0 ? over.acked / (over.lastAckMs / 1000) : 0,
      lastAckS: over.lastAckMs / 1000,
      acked: overAcc.acked,
      lost: overAcc.lost,
      alive,
      health: Object.fromEntries(health),
    };
    log(`overload: ${fmt(overload.ackedPerSec)} msgs/s acknowledged in the window, ${fmt(overload.ackedToLastPerSec)} msgs/s until the last PUBACK ${fmt(overload.lastAckS, 1)} s after the start, lost ${overAcc.lost}, health seen ${JSON.stringify(overload.health)}`);
  }

  await pool.close();
  await hub.child.stop(30_000);
  let profile: ProfileSummary | undefined;
  let profileCopy: string | undefined;
  if (hub.profileDir) {
    const file = readdirSync(hub.profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      profile = summariseProfile(join(hub.profileDir, file));
      profileCopy = join(tmpdir(), 'mistohub-bench-hub.cpuprofile');
      copyFileSync(join(hub.profileDir, file), profileCopy);
    } else {
      log('no .cpuprofile was written by the hub');
    }
  }

  // c. the peer pipeline on the same load and the same influxd
  let peer: PeerFigures | undefined;
  if (opts.peer) peer = await runPeer(work.path, influx.url, influxPids, devices, sampler, opts);

  // ---- report
  const hubLost = capAcc.lost + latAcc.lost + (overload?.lost ?? 0);
  const capAck = ackPercentiles(cap);
  const spread = perSecondSpread(cap);
  // The figures compared: acknowledged msgs/s that also reach InfluxDB as fast, with nothing lost.
  // The hub's closed loop gives it directly (its PUBACK waits for the disk and its writer keeps
  // pace); the peer's needs the open-loop steps, because mosquitto acknowledges from memory.
  const hubSustained = hubSteps.length ? bestKeptUp(hubSteps) : capRates.sustainedPerSec;
  const peerSustained = peer ? (peer.steps.length ? bestKeptUp(peer.steps) : peer.rates.sustainedPerSec) : Number.NaN;
  const stepsText = (steps: RateStep[]): string => steps.map((s) => `${fmt(s.rate)} ${s.keptUp ? 'yes' : 'no'}`).join(', ');
  const ratio = peerSustained > 0 ? hubSustained / peerSustained : Number.NaN;
  const ratioAcked = peer && peer.msgsPerSec > 0 ? capMsgsPerSec / peer.msgsPerSec : Number.NaN;
  // Under the same flood: what each got into InfluxDB while the window was open.
  const ratioStoredInWindow = peer && peer.rates.storedPerSec > 0 ? capRates.storedPerSec / peer.rates.storedPerSec : Number.NaN;

  const hubCpu = capCpu.hub!;
  const latOtherCpu = latCpu[MACHINE]!.cpuPct - latCpu.hub!.cpuPct - latCpu.generator!.cpuPct - latCpu.influxd!.cpuPct - latCpu.bench!.cpuPct;
  const capOtherCpu = capCpu[MACHINE]!.cpuPct - hubCpu.cpuPct - capCpu.generator!.cpuPct - capCpu.influxd!.cpuPct - capCpu.bench!.cpuPct;
  const gen = capCpu.generator!;
  const peerAck = peer ? ackPercentiles(peer.run) : undefined;
  const peerSpread = peer ? perSecondSpread(peer.run) : undefined;

  const rows: [string, string, string][] = [
    ['', 'mistohub', peer ? 'mosquitto + Node-RED' : 'peer (skipped)'],
    ['sustained msgs/s, acked = stored, nothing lost', fmt(hubSustained), fmt(peerSustained)],
    [`  kept up at fixed rates? (${opts.stepS} s steps)`, hubSteps.length ? stepsText(hubSteps) : 'closed loop below', peer?.steps.length ? stepsText(peer.steps) : 'closed loop below'],
    ['capacity: acked msgs/s (QoS 1, closed loop)', fmt(capMsgsPerSec), fmt(peer?.msgsPerSec)],
    ['  into InfluxDB during the same window, msgs/s', fmt(capRates.storedPerSec), fmt(peer?.rates.storedPerSec)],
    ['  per second: min / median / max', `${fmt(spread.min)} / ${fmt(spread.median)} / ${fmt(spread.max)}`, peerSpread ? `${fmt(peerSpread.min)} / ${fmt(peerSpread.median)} / ${fmt(peerSpread.max)}` : '—'],
    ['  PUBACK p50 / p99 under full load, ms', `${fmt(capAck.p50, 1)} / ${fmt(capAck.p99, 1)}`, peerAck ? `${fmt(peerAck.p50, 1)} / ${fmt(peerAck.p99, 1)}` : '—'],
    ['  PUBACK means', 'on disk (fsync)', 'in memory'],
    ['acked (all phases)', fmt(capAcc.acked + latAcc.acked), fmt(peer?.acc.acked)],
    ['stored in InfluxDB', fmt(capAcc.stored + latAcc.stored), fmt(peer?.acc.stored)],
    ['lost (acked, not stored)', fmt(hubLost), fmt(peer?.acc.lost)],
    ['stored end to end, msgs/s (run + drain)', fmt(capStoredEndToEnd), fmt(peer?.storedPerSec)],
    ['time to get the backlog into InfluxDB, s', fmt(capAcc.drainS, 1), peer ? `${fmt(peer.drainS, 1)}${peer.drainComplete ? '' : ' (gave up)'}` : '—'],
    ['spool backlog peak, records', fmt(backlogPeak), '—'],
    ['admissions delayed by backpressure', `${fmt(capCounters.throttleWaits)} (${fmt((capCounters.throttleWaits / Math.max(1, capCounters.accepted)) * 100, 1)} %)`, '—'],
    ['InfluxDB writes: count, mean ms', `${fmt(capCounters.storeWrites)}, ${fmt((capCounters.storeWriteSeconds / Math.max(1, capCounters.storeWrites)) * 1000, 1)}`, '—'],
    ['event-loop lag peak (p99 of a second), ms', fmt(capLagPeakMs, 1), '—'],
    ['spool alone: durable appends/s (records per fsync)', `${fmt(spool.appendsPerSec)} (${fmt(spool.recordsPerFsync)})`, '—'],
    ['CPU %, one core = 100 (capacity)', fmt(hubCpu.cpuPct), peer ? `${fmt(peer.cpu.cpuPct)} (${fmt(peer.cpuMosquitto.cpuPct)} + ${fmt(peer.cpuNodeRed.cpuPct)})` : '—'],
    ['RSS peak, MB', fmt(hubCpu.peakRssMb), peer ? `${fmt(peer.cpu.peakRssMb)} (${fmt(peer.cpuMosquitto.peakRssMb)} + ${fmt(peer.cpuNodeRed.peakRssMb)})` : '—'],
    ['generator CPU % (capacity)', fmt(gen.cpuPct), fmt(peer?.generator.cpuPct)],
    ['influxd CPU % (capacity)', fmt(capCpu.influxd?.cpuPct), fmt(peer?.influxd.cpuPct)],
    [`other processes' CPU % (of ${cpus().length * 100}; should be ~0)`, fmt(capOtherCpu), fmt(peer?.otherCpuPct)],
    [`latency at ${fmt(opts.rate)} msgs/s: publish → Socket.IO p50 / p99, ms`, `${fmt(lat.figures.p50Ms, 1)} / ${fmt(lat.figures.p99Ms, 1)}`, '—'],
    ['  pushes matched to a publish (of published)', `${fmt(lat.figures.matched)} (of ${fmt(lat.figures.published)})`, '—'],
    ['  any message → dashboard shows it or newer, p50 / p99, ms', `${fmt(lat.figures.freshP50Ms, 1)} / ${fmt(lat.figures.freshP99Ms, 1)}`, '—'],
    ['  publish → PUBACK p50 / p99, ms', `${fmt(lat.figures.pubackP50Ms, 1)} / ${fmt(lat.figures.pubackP99Ms, 1)}`, '—'],
    ['  CPU %: hub / generator / other processes', `${fmt(latCpu.hub?.cpuPct)} / ${fmt(latCpu.generator?.cpuPct)} / ${fmt(latOtherCpu)}`, '—'],
    ...(overload
      ? ([
          [`overload at 3 × capacity: offered / sent / acked msgs/s`, `${fmt(overload.offeredPerSec)} / ${fmt(overload.sentPerSec)} / ${fmt(overload.ackedPerSec)}`, '—'],
          ['  acked msgs/s from the start to the last PUBACK (s)', `${fmt(overload.ackedToLastPerSec)} (${fmt(overload.lastAckS, 1)})`, '—'],
          ['  hub stayed up; lost (acked, not stored)', `${overload.alive ? 'yes' : 'NO'}; ${fmt(overload.lost)}`, '—'],
          ['  health seen (polls every 500 ms)', Object.entries(overload.health).map(([k, n]) => `${k} ${n}`).join(', '), '—'],
        ] as [string, string, string][])
      : []),
    ['ratio, sustained msgs/s (hub / peer)', fmt(ratio, 2), ''],
    ['ratio, acked msgs/s in the closed loop (hub / peer)', fmt(ratioAcked, 2), ''],
    ['ratio, into InfluxDB during the closed loop (hub / peer)', fmt(ratioStoredInWindow, 2), ''],
  ];

  console.log('');
  console.log(`mistohub bench — ${cpus().length} cores, Node ${process.version}, influxd on the same machine`);
  const wallS = (performance.now() - startedMs) / 1000;
  console.log(`load: ${opts.connections} MQTT connections, QoS 1, ${opts.window} in flight each, ${opts.durationS} s; latency phase ${fmt(opts.rate)} msgs/s for ${opts.latencyDurationS} s; ${opts.generators} generator process(es); the run took ${Math.floor(wallS / 60)} min ${Math.round(wallS % 60)} s`);
  console.log('');
  console.log(table(rows));
  console.log('');
  if (cap.failed || cap.unacked || lat.run.failed || lat.run.unacked || lat.figures.skipped) {
    console.log(`note: hub runs had ${cap.failed + lat.run.failed} failed publishes, ${cap.unacked + lat.run.unacked} left unacknowledged, ${lat.figures.skipped} not sent on time`);
  }
  if (capAcc.extra + latAcc.extra > 0) console.log(`note: ${capAcc.extra + latAcc.extra} stored points were never acknowledged (in flight when a connection dropped)`);
  if (capOtherCpu > 20 || (peer && peer.otherCpuPct > 20)) {
    console.log(`note: other processes used the CPU during the runs (${fmt(capOtherCpu)} % / ${fmt(peer?.otherCpuPct)} % of a core): the figures are lower than this machine gives when quiet`);
  }
  if (capCounters.rejected > 0) console.log(`note: the hub refused ${capCounters.rejected} messages in the capacity phase (dead letters)`);
  if (capThrottled) console.log('note: the hub throttled intake (backpressure) during the capacity phase');
  if (peer?.errors.length) console.log(`peer errors (first ${peer.errors.length}):\n  ${peer.errors.slice(0, 5).join('\n  ')}`);
  if (profile) {
    console.log(`\nhub CPU profile, main thread, whole life of the hub: ${fmt(profile.totalMs / 1000, 1)} s busy, idle ${fmt(profile.idlePct)} % of the time; shares below are of busy time (file kept at ${profileCopy ?? '?'})`);
    console.log('  self time by package / folder:');
    for (const e of profile.places.slice(0, 15)) console.log(`    ${e.selfPct.toFixed(1).padStart(5)}%  ${e.name}`);
    console.log('  total time (on the stack) by package / folder:');
    for (const e of profile.inclusive.slice(0, 15)) console.log(`    ${e.selfPct.toFixed(1).padStart(5)}%  ${e.name}`);
    console.log('  self time by function:');
    for (const e of profile.functions.slice(0, 25)) console.log(`    ${e.selfPct.toFixed(1).padStart(5)}%  ${e.name}`);
  }
  console.log('');

  const summary = {
    msgsPerSec: Math.round(hubSustained),
    steps: hubSteps,
    ackedPerSec: Math.round(capMsgsPerSec),
    storedInWindowPerSec: Math.round(capRates.storedPerSec),
    p50Ms: round(lat.figures.p50Ms, 1),
    p99Ms: round(lat.figures.p99Ms, 1),
    lost: hubLost,
    acked: capAcc.acked + latAcc.acked,
    stored: capAcc.stored + latAcc.stored,
    peer: peer
      ? {
          name: PEER_NAME,
          msgsPerSec: Math.round(peerSustained),
          ackedPerSec: Math.round(peer.msgsPerSec),
          storedInWindowPerSec: Math.round(peer.rates.storedPerSec),
          storedPerSec: Math.round(peer.storedPerSec),
          steps: peer.steps,
          lost: peer.acc.lost,
          acked: peer.acc.acked,
          stored: peer.acc.stored,
          cpuPct: round(peer.cpu.cpuPct),
          rssMb: round(peer.cpu.peakRssMb),
          generatorCpuPct: round(peer.generator.cpuPct),
          otherCpuPct: round(peer.otherCpuPct),
          pubackP99Ms: round(peerAck?.p99 ?? Number.NaN, 1),
        }
      : { name: PEER_NAME, skipped: true, msgsPerSec: null, lost: null },
    ratio: round(ratio, 2),
    ratioAcked: round(ratioAcked, 2),
    ratioStoredInWindow: round(ratioStoredInWindow, 2),
    hubCpuPct: round(hubCpu.cpuPct),
    hubRssMb: round(hubCpu.peakRssMb),
    generatorCpuPct: round(gen.cpuPct),
    influxdCpuPct: round(capCpu.influxd?.cpuPct ?? Number.NaN),
    otherCpuPct: round(capOtherCpu),
    backlogPeak,
    throttleWaits: capCounters.throttleWaits,
    rejected: capCounters.rejected,
    storeWrites: capCounters.storeWrites,
    storeWriteErrors: capCounters.storeErrors,
    lagPeakMs: round(capLagPeakMs, 1),
    pubackP50Ms: round(capAck.p50, 2),
    pubackP99Ms: round(capAck.p99, 2),
    spool: { appendsPerSec: Math.round(spool.appendsPerSec), recordsPerFsync: Math.round(spool.recordsPerFsync), drainPerSec: Math.round(spool.drainPerSec) },
    overload: overload ? { ...overload, sentPerSec: round(overload.sentPerSec), ackedPerSec: round(overload.ackedPerSec), ackedToLastPerSec: round(overload.ackedToLastPerSec), lastAckS: round(overload.lastAckS) } : null,
    latency: {
      rate: opts.rate,
      matched: lat.figures.matched,
      published: lat.figures.published,
      freshP50Ms: round(lat.figures.freshP50Ms, 1),
      freshP99Ms: round(lat.figures.freshP99Ms, 1),
      pubackP50Ms: round(lat.figures.pubackP50Ms, 2),
      pubackP99Ms: round(lat.figures.pubackP99Ms, 2),
      hubCpuPct: round(latCpu.hub?.cpuPct ?? Number.NaN),
      otherCpuPct: round(latOtherCpu),
      lost: latAcc.lost,
    },
    settings: {
      durationS: opts.durationS, connections: opts.connections, window: opts.window, rate: opts.rate, latencyDurationS: opts.latencyDurationS,
      generators: opts.generators, peer: opts.peer, stepS: opts.stepS, peerBatch: PEER_BATCH, profile: opts.profile, cores: cpus().length, node: process.version,
      defaults: opts.durationS === DEFAULTS.durationS && opts.connections === DEFAULTS.connections && opts.window === DEFAULTS.window,
    },
    wallS: round(wallS),
  };
  await cleanup();
  console.log(JSON.stringify(summary));
}

main().catch(async (err: unknown) => {
  // After Ctrl-C the children die first and the run fails on that: not worth a stack trace.
  if (err instanceof BenchSetupError) console.error(`npm run bench: ${err.message}`);
  else if (!interrupted) console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  await cleanup();
  process.exit(1);
});
