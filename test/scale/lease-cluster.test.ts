import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../services/contracts/index.ts';
import { DOMAINS } from '../../services/hub/domains.ts';
import { createLogger } from '../../services/observability/logger.ts';
import type { Domain, Lease } from '../../services/platform/domain-module.ts';
import { Leases } from '../../services/platform/lease.ts';
import { RedisLeaseStore } from '../../services/platform/lease-redis.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { startRedis, type RunningRedis } from '../support/redis.ts';

const logger = createLogger('silent', false);

/** A domain with run-once work: it only asks for its lease, as the lighting scheduler does. */
function leasedDomain(): { domain: Domain; lease: () => Lease } {
  let lease: Lease | undefined;
  return {
    domain: { name: 'probe', create: (ctx) => ((lease = ctx.lease('job')), { name: 'probe' }) },
    lease: () => lease!,
  };
}

describe('run-once work with a lease in Redis', () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('when the holding process is SIGKILLed, another instance takes the lease once its time to live is over', async () => {
    const ttlMs = 1500;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/scale/fixtures/lease-holder.ts', redis.url, 'report', 'crasher', String(ttlMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
        child.once('exit', (code) => reject(new Error(`lease holder exited with ${code}`)));
      });
      const store = new RedisLeaseStore(redis.url);
      const other = new Leases({ store, holder: 'survivor', now: Date.now, logger, ttlMs });
      const lease = other.lease('report');
      // While the holder lives, renewals keep it there, however often the other tries.
      for (let i = 0; i < 5; i++) {
        await other.tick();
        expect(lease.isHolder()).toBe(false);
        expect(await store.holder('report')).toBe('crasher');
      }
      child.kill('SIGKILL');
      await exited;
      await eventually(async () => (await other.tick(), lease.isHolder()), 10_000, 'the survivor to hold the lease');
      expect(await store.holder('report')).toBe('survivor');
      await other.close();
      expect(await new RedisLeaseStore(redis.url).holder('report')).toBeUndefined();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('two hubs: one holds a domain lease (health says which); when it stops, the other takes it', async () => {
    const pa = leasedDomain();
    const pb = leasedDomain();
    let a: TestHub | undefined;
    let b: TestHub | undefined;
    try {
      a = await startTestHub({ REDIS_URL: redis.url, HUB_INSTANCE_ID: 'hub-a' }, { domains: [...DOMAINS, pa.domain] });
      await eventually(async () => pa.lease().isHolder(), 10_000, 'hub A to hold the lease');
      b = await startTestHub({ REDIS_URL: redis.url, HUB_INSTANCE_ID: 'hub-b' }, { domains: [...DOMAINS, pb.domain] });
      const healthOf = async (t: TestHub) => ((await (await t.api('/api/v1/health')).json()) as Health).components.cluster?.detail ?? '';
      expect(await healthOf(a)).toMatch(/^instance hub-a, shared through Redis; leases in Redis; holds .*\bprobe:job\b/);
      // B holds neither the probe's lease nor the built-in domains' run-once leases: A took them first.
      expect(await healthOf(b)).toMatch(/^instance hub-b, shared through Redis; leases in Redis; holds no lease$/);
      expect(pb.lease().isHolder()).toBe(false);
      await a.stop();
      a = undefined;
      await eventually(async () => pb.lease().isHolder(), 20_000, 'hub B to take the lease');
      expect(await healthOf(b)).toMatch(/holds .*\bprobe:job\b/);
    } finally {
      await a?.stop();
      await b?.stop();
    }
  }, 60_000);
});
