import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Spool } from './spool.ts';

export interface SpoolBenchOptions {
  /** Records appended in all; default 200,000. */
  records?: number;
  /** Payload size; default 200 bytes (a position message as JSON). */
  recordBytes?: number;
  /** Appenders running at once, each awaiting its own append (like MQTT connections); default 1,000. */
  concurrency?: number;
  /** Records per append call; default 1. */
  recordsPerAppend?: number;
  durable?: boolean;
  groupCommitMs?: number;
  /** Folder for the spool; default a fresh temp folder, removed afterwards. */
  dir?: string;
}

export interface SpoolBenchResult {
  records: number;
  recordBytes: number;
  concurrency: number;
  durable: boolean;
  appendSeconds: number;
  appendsPerSec: number;
  fsyncs: number;
  recordsPerFsync: number;
  /** Opening the spool again with the whole backlog in it (recovery scans it). */
  recoverySeconds: number;
  /** Reading back and confirming in batches of 5,000, as the store drain does. */
  drainPerSec: number;
}

/** Measures appends/s through group commit, then the drain rate. For `npm run bench`. */
export async function benchSpool(opts: SpoolBenchOptions = {}): Promise<SpoolBenchResult> {
  const records = opts.records ?? 200_000;
  const recordBytes = opts.recordBytes ?? 200;
  const concurrency = opts.concurrency ?? 1_000;
  const perAppend = opts.recordsPerAppend ?? 1;
  const durable = opts.durable ?? true;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'mistohub-spool-bench-'));
  const payload = new Uint8Array(recordBytes).fill(0x61);
  let spool = await Spool.open({ dir, ...(opts.groupCommitMs === undefined ? {} : { groupCommitMs: opts.groupCommitMs }) });
  try {
    let next = 0;
    const batch = Array.from({ length: perAppend }, () => payload);
    const worker = async () => {
      while (next < records) {
        next += perAppend;
        await spool.append(batch, { durable });
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    const appendSeconds = (performance.now() - t0) / 1000;
    const appended = spool.stats.backlogRecords;
    const fsyncs = spool.stats.fsyncs;

    await spool.close();
    const tr = performance.now();
    spool = await Spool.open({ dir });
    const recoverySeconds = (performance.now() - tr) / 1000;

    const t1 = performance.now();
    for (;;) {
      const b = await spool.read(5_000);
      if (!b) break;
      await spool.confirm(b.end);
    }
    const drainSeconds = (performance.now() - t1) / 1000;
    return {
      records: appended,
      recordBytes,
      concurrency,
      durable,
      appendSeconds,
      appendsPerSec: Math.round(appended / appendSeconds),
      fsyncs,
      recordsPerFsync: Math.round(appended / Math.max(1, fsyncs)),
      recoverySeconds,
      drainPerSec: Math.round(appended / drainSeconds),
    };
  } finally {
    await spool.close();
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
