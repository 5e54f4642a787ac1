import { describe, expect, it } from 'vitest';
import { BoundedQueue, QueueFullError } from '../../services/registry/bounded-queue.ts';
import { HashBusyError, hashing, verifySecret, hashSecret } from '../../services/registry/secrets.ts';

describe('BoundedQueue', () => {
  it('runs at most `concurrency` tasks at once, in order, and refuses past the waiting line', async () => {
    const q = new BoundedQueue('test', { concurrency: 2, maxWaiting: 3 });
    const gates: (() => void)[] = [];
    const started: number[] = [];
    const task = (i: number) => () =>
      new Promise<number>((resolve) => {
        started.push(i);
        gates[i] = () => resolve(i);
      });
    const runs = Array.from({ length: 7 }, (_, i) => q.run(task(i)).then((v) => ({ ok: true as const, v }), (err: unknown) => ({ ok: false as const, err })));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([q.running, q.queued]).toEqual([2, 3]);
    // Two running, three waiting: the sixth and seventh are refused at once.
    const refused = await Promise.all(runs.slice(5));
    expect(refused.every((r) => !r.ok && r.err instanceof QueueFullError)).toBe(true);
    for (let i = 0; i < 5; i++) {
      gates[i]!();
      await new Promise((r) => setImmediate(r));
    }
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect((await Promise.all(runs.slice(0, 5))).map((r) => (r.ok ? r.v : -1))).toEqual([0, 1, 2, 3, 4]);
    expect(q.peakActive).toBe(2);
    expect([q.running, q.queued, q.refused]).toEqual([0, 0, 2]);
  });

  it('a failing task frees its place', async () => {
    const q = new BoundedQueue('test', { concurrency: 1, maxWaiting: 0 });
    await expect(q.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run(async () => 'next')).resolves.toBe('next');
  });
});

describe('password hashing (real scrypt)', () => {
  it('hashes one password at a time, and refuses checks past its waiting line', async () => {
    const stored = await hashSecret('correct horse battery staple', 'password');
    hashing.password.peakActive = 0;
    const results = await Promise.allSettled(Array.from({ length: 24 }, () => verifySecret('wrong guess', stored)));
    expect(hashing.password.peakActive).toBe(1);
    const refused = results.filter((r) => r.status === 'rejected');
    // One running and sixteen waiting when the burst arrived; the other seven were refused without a hash.
    expect(refused).toHaveLength(24 - 17);
    expect(refused.every((r) => r.status === 'rejected' && r.reason instanceof HashBusyError)).toBe(true);
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === false)).toHaveLength(17);
    // Seventeen 32 MiB hashes one after another: seconds on a quiet machine, more on a shared one.
  }, 120_000);
});
