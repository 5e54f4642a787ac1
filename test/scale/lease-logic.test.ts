import { describe, expect, it } from 'vitest';
import { Leases, MemoryLeaseStore, heldUntil } from '../../services/platform/lease.ts';
import { createLogger } from '../../services/observability/logger.ts';

const TTL = 60_000;
const logger = createLogger('silent', false);

/** The lease keeper's logic over the in-memory store, with the clock passed in. */
describe('leases (pure logic, memory store, a clock in hand)', () => {
  const setup = () => {
    let t = 1_000_000;
    const now = () => t;
    const store = new MemoryLeaseStore(now);
    const a = new Leases({ store, holder: 'a', now, logger, ttlMs: TTL });
    const b = new Leases({ store, holder: 'b', now, logger, ttlMs: TTL });
    return { store, a, b, advance: (ms: number) => (t += ms), now };
  };

  it('alone, an instance holds every lease it asks for', async () => {
    const { a } = setup();
    const lease = a.lease('lighting:scheduler');
    await a.tick();
    expect(lease.isHolder()).toBe(true);
    expect(a.held()).toEqual(['lighting:scheduler']);
  });

  it('of two instances one holds it; renewing keeps it past the time to live', async () => {
    const { a, b, advance, store } = setup();
    const la = a.lease('job');
    await a.tick();
    const lb = b.lease('job');
    await b.tick();
    expect([la.isHolder(), lb.isHolder()]).toEqual([true, false]);
    for (let i = 0; i < 6; i++) {
      advance(TTL / 3);
      await a.tick();
      await b.tick();
      expect([la.isHolder(), lb.isHolder()]).toEqual([true, false]);
    }
    expect(await store.holder('job')).toBe('a');
  });

  it('when the holder stops renewing (dies), the other takes it once the time to live is over, never before', async () => {
    const { a, b, advance } = setup();
    const la = a.lease('job');
    await a.tick();
    const lb = b.lease('job');
    const changes: boolean[] = [];
    lb.onChange((has) => changes.push(has));
    // a is silent from here on.
    advance(TTL - 1);
    await b.tick();
    expect(lb.isHolder()).toBe(false);
    // a stopped counting itself the holder a fifth of the time to live before the store let go.
    expect(la.isHolder()).toBe(false);
    advance(1);
    await b.tick();
    expect(lb.isHolder()).toBe(true);
    expect(changes).toEqual([true]);
  });

  it('a holder counts itself holder only until heldUntil, short of the store expiry', () => {
    expect(heldUntil(1000, 15_000)).toBe(13_000);
    expect(heldUntil(1000, 15_000)).toBeLessThan(1000 + 15_000);
  });

  it('closing gives the lease up: the other takes it at its next try', async () => {
    const { a, b } = setup();
    const la = a.lease('job');
    await a.tick();
    const lb = b.lease('job');
    await b.tick();
    expect(lb.isHolder()).toBe(false);
    await a.close();
    expect(la.isHolder()).toBe(false);
    await b.tick();
    expect(lb.isHolder()).toBe(true);
  });

  it('a holder whose renewal is refused (another took it) loses it and is told', async () => {
    const { a, store, advance } = setup();
    const la = a.lease('job');
    await a.tick();
    const told: boolean[] = [];
    la.onChange((has) => told.push(has));
    await store.release('job', 'a');
    expect(await store.acquire('job', 'intruder', TTL)).toBe(true);
    advance(TTL / 3);
    await a.tick();
    expect(la.isHolder()).toBe(false);
    expect(told).toEqual([false]);
  });
});
