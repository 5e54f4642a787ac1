import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchDevice, FromGenerator, RunResult, ToGenerator } from './protocol.ts';
import { mergeHistograms, newHistogram } from './stats.ts';

const GENERATOR = fileURLToPath(new URL('./generator.ts', import.meta.url));

type RunCommand = Extract<ToGenerator, { type: 'run' }>;

class GeneratorProcess {
  private readonly waiting: { type: FromGenerator['type']; resolve: (m: FromGenerator) => void; reject: (e: Error) => void }[] = [];
  readonly exited: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (raw) => {
      const msg = raw as FromGenerator;
      if (msg.type === 'error') {
        for (const w of this.waiting.splice(0)) w.reject(new Error(`load generator: ${msg.message}`));
        return;
      }
      const i = this.waiting.findIndex((w) => w.type === msg.type);
      if (i >= 0) this.waiting.splice(i, 1)[0]?.resolve(msg);
    });
    this.exited = new Promise((resolve) => proc.once('exit', () => {
      for (const w of this.waiting.splice(0)) w.reject(new Error('load generator exited'));
      resolve();
    }));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  request<T extends FromGenerator['type']>(msg: ToGenerator, answer: T, timeoutMs: number): Promise<Extract<FromGenerator, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load generator: no "${answer}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push({
        type: answer,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<FromGenerator, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send(msg);
    });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (this.proc.connected) this.proc.send({ type: 'close' } satisfies ToGenerator);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

function merge(results: RunResult[]): RunResult {
  const out: RunResult = {
    published: 0, acked: 0, failed: 0, unacked: 0, skipped: 0, ackedInWindow: 0, windowMs: 0, lastAckMs: 0, perSecond: [],
    ackHistogram: newHistogram(), ackedByDevice: {}, tsMin: Number.POSITIVE_INFINITY, tsMax: Number.NEGATIVE_INFINITY, records: new Float64Array(0),
  };
  const records: Float64Array[] = [];
  for (const r of results) {
    out.published += r.published;
    out.acked += r.acked;
    out.failed += r.failed;
    out.unacked += r.unacked;
    out.skipped += r.skipped;
    out.ackedInWindow += r.ackedInWindow;
    out.windowMs = Math.max(out.windowMs, r.windowMs);
    out.lastAckMs = Math.max(out.lastAckMs, r.lastAckMs);
    r.perSecond.forEach((v, i) => (out.perSecond[i] = (out.perSecond[i] ?? 0) + v));
    mergeHistograms(out.ackHistogram, r.ackHistogram);
    Object.assign(out.ackedByDevice, r.ackedByDevice);
    out.tsMin = Math.min(out.tsMin, r.tsMin);
    out.tsMax = Math.max(out.tsMax, r.tsMax);
    records.push(r.records);
  }
  const total = records.reduce((n, r) => n + r.length, 0);
  out.records = new Float64Array(total);
  let at = 0;
  for (const r of records) {
    out.records.set(r, at);
    at += r.length;
  }
  return out;
}

/** Load-generator child processes sharing the devices between them. */
export class GeneratorPool {
  private constructor(private readonly procs: GeneratorProcess[]) {}

  get pids(): number[] {
    return this.procs.map((p) => p.pid);
  }

  /** Forks `count` generators (node --import tsx) and connects every device to `port`. */
  static async start(count: number, devices: BenchDevice[], port: number, clientIdPrefix: string, cwd: string): Promise<GeneratorPool> {
    const procs: GeneratorProcess[] = [];
    for (let i = 0; i < count; i++) {
      procs.push(new GeneratorProcess(fork(GENERATOR, [], { cwd, execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
    }
    const pool = new GeneratorPool(procs);
    try {
      const answers = await Promise.all(
        procs.map((p, i) =>
          p.request({ type: 'connect', port, devices: devices.filter((_, d) => d % count === i), clientIdPrefix: `${clientIdPrefix}${i}` }, 'connected', 120_000),
        ),
      );
      const connected = answers.reduce((n, a) => n + a.count, 0);
      if (connected < devices.length) {
        throw new Error(`only ${connected} of ${devices.length} MQTT connections came up: ${answers.flatMap((a) => a.failures).join('; ')}`);
      }
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /** One phase on every generator at once; `rate` is shared out between them. */
  async run(cmd: Omit<RunCommand, 'type'>): Promise<RunResult> {
    const share = cmd.rate / this.procs.length;
    const timeout = cmd.durationMs + cmd.settleMs + 60_000;
    const results = await Promise.all(this.procs.map((p) => p.request({ type: 'run', ...cmd, rate: share }, 'result', timeout)));
    return merge(results.map((r) => r.result));
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.close()));
  }

  /** SIGKILL, for the exit handler. */
  killNow(): void {
    for (const p of this.procs) p.proc.kill('SIGKILL');
  }
}
