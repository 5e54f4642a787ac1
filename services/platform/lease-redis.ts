import { Redis } from 'ioredis';
import type { LeaseStore } from './lease.ts';

const PREFIX = 'mistohub:lease:';

/** Extends the lease only while ARGV[1] holds it. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
/** Takes the lease when free (SET NX PX) or extends it when ARGV[1] holds it already. */
const ACQUIRE = `if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Leases in Redis (REDIS_URL): a key per lease holding its holder's instance id, with Redis'
 * own expiry as the time to live. A single Redis (or a primary with replicas) is the
 * authority; the hub's own margin (heldUntil) covers clock drift between instances.
 */
export class RedisLeaseStore implements LeaseStore {
  private readonly redis: Redis;

  constructor(url: string, onError?: (err: Error) => void) {
    // A call fails after one reconnection attempt while Redis is away: a lease not renewed lapses.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1 });
    let last = '';
    this.redis.on('error', (err: Error) => {
      if (err.message === last) return;
      last = err.message;
      onError?.(err);
    });
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(ACQUIRE, 1, PREFIX + name, holder, String(ttlMs))) === 1;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, PREFIX + name, holder, String(ttlMs))) === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, PREFIX + name, holder);
  }

  async holder(name: string): Promise<string | undefined> {
    return (await this.redis.get(PREFIX + name)) ?? undefined;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
