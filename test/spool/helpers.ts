import { readdirSync } from 'node:fs';
import { Spool, type SpoolOptions } from '../../services/spool/index.ts';
import type { SpoolLogger } from '../../services/spool/index.ts';

export function rec(i: number, size = 0): Buffer {
  const body = JSON.stringify({ i });
  return Buffer.from(size > body.length ? body + ' '.repeat(size - body.length) : body);
}

export function idx(r: Uint8Array): number {
  return (JSON.parse(Buffer.from(r).toString('utf8')) as { i: number }).i;
}

/** Everything after the read cursor, in batches of `batch`, optionally confirming each batch. */
export async function drain(spool: Spool, opts: { batch?: number; confirm?: boolean } = {}): Promise<number[]> {
  const got: number[] = [];
  for (;;) {
    const b = await spool.read(opts.batch ?? 1000);
    if (!b) return got;
    for (const r of b.records) got.push(idx(r));
    if (opts.confirm) await spool.confirm(b.end);
  }
}

export interface CapturedLog extends SpoolLogger {
  warnings: string[];
  errors: string[];
}

export function captureLog(): CapturedLog {
  const warnings: string[] = [];
  const errors: string[] = [];
  return {
    warnings,
    errors,
    warn: (_d, m) => void warnings.push(m),
    error: (_d, m) => void errors.push(m),
  };
}

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
}

export function openSpool(dir: string, extra: Partial<SpoolOptions> = {}): Promise<Spool> {
  return Spool.open({ dir, logger: captureLog(), ...extra });
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
