import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Device, DeviceMessage } from '../../services/contracts/index.ts';
import { DeadLetters } from '../../services/ingest/dead-letters.ts';
import { IngestPipeline } from '../../services/ingest/pipeline.ts';
import { createLogger } from '../../services/observability/logger.ts';
import { createMetrics } from '../../services/observability/metrics.ts';
import { openRegistryDb } from '../../services/registry/database.ts';
import { Spool } from '../../services/spool/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const CABINET = { id: 'cab-1', kind: 'lighting-controller', protocol: 'mqtt', enabled: true, groupId: null } as unknown as Device;
const ACK: DeviceMessage = { channel: 'lighting-cmd-ack', deviceId: 'cab-1', ts: Date.parse('2026-11-27T20:00:00Z'), payload: { cmdId: 'c-1', ts: Date.parse('2026-11-27T20:00:00Z'), status: 'applied' } } as DeviceMessage;

/**
 * An event keeper may answer with a promise (a group commit of many events): the message is
 * acknowledged (accept resolves, then the broker's PUBACK) only once that promise resolves,
 * refused when it rejects, and live views see it only once kept.
 */
describe('ingest: an event kept by a group commit', () => {
  const temp = makeTempDir('event-keeper');
  let spool: Spool | undefined;
  afterEach(async () => {
    await spool?.close();
    spool = undefined;
  });
  afterAll(() => temp.remove());

  async function pipeline() {
    const db = openRegistryDb(temp.path);
    spool = await Spool.open({ dir: `${temp.path}/spool-${Math.random()}`, groupCommitMs: 0 });
    const p = new IngestPipeline({
      lookupDevice: (id) => (id === CABINET.id ? CABINET : undefined), journal: spool, deadLetters: new DeadLetters(db, Date.now),
      metrics: createMetrics(), logger: createLogger('silent', false), now: Date.now,
    });
    const seen: DeviceMessage[] = [];
    p.onAccepted((m) => seen.push(m));
    return { p, seen };
  }

  it('accept waits for the commit, and only then do live views see the message', async () => {
    const { p, seen } = await pipeline();
    let commit!: () => void;
    const committed = new Promise<void>((r) => (commit = r));
    p.keepEventsWith(() => committed);
    let accepted = false;
    const done = p.accept([ACK], 'mqtt').then(() => (accepted = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(accepted).toBe(false);
    expect(seen).toEqual([]);
    commit();
    await done;
    expect(accepted).toBe(true);
    expect(seen).toEqual([ACK]);
  });

  it('a failed commit refuses the message: no acknowledgement, no live view', async () => {
    const { p, seen } = await pipeline();
    p.keepEventsWith(() => Promise.reject(new Error('disk full')));
    await expect(p.accept([ACK], 'mqtt')).rejects.toThrow('disk full');
    expect(seen).toEqual([]);
  });

  it('a keeper that answers true at once still works as before', async () => {
    const { p, seen } = await pipeline();
    p.keepEventsWith(() => true);
    await p.accept([ACK], 'mqtt');
    expect(seen).toEqual([ACK]);
  });
});
