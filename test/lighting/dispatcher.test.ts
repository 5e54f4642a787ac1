import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LightingSchedule, type LightingCommand } from '../../services/contracts/index.ts';
import { CommandTable } from '../../services/lighting/commands/command-table.ts';
import { Dispatcher } from '../../services/lighting/commands/dispatcher.ts';
import { CommandAcks } from '../../services/lighting/command-acks.ts';
import { LIGHTING_MIGRATIONS } from '../../services/lighting/dispatch/migrations.ts';
import type { ActiveOverride } from '../../services/lighting/dispatch/overrides.ts';
import { zoneOf } from '../../services/lighting/schedule/local-time.ts';
import { applyDomainMigrations, openRegistryDb } from '../../services/registry/database.ts';
import { openPostgresRegistry } from '../../services/registry/postgres-registry.ts';
import type { RegistryDb } from '../../services/registry/registry-db.ts';
import { applySharedMigrations } from '../../services/registry/shared-migrations.ts';
import { sqliteRegistry } from '../../services/registry/sqlite-registry.ts';
import { REGISTRY_KINDS, testRegistry } from '../support/registries.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/**
 * The dispatcher with the clock in the test's hands: timeouts, backoff, offline, expiry, exactly.
 * On both homes of the commands table: the instance's SQLite file, and a real PostgreSQL 15 (the
 * shared tables of a cluster, DATABASE_URL).
 */
describe.each(REGISTRY_KINDS)('the command dispatcher, clock passed in, commands on %s', (kind) => {
  const schedule = LightingSchedule.parse({ on: { event: 'time', time: '18:00' }, off: { event: 'time', time: '06:30' }, steps: [{ from: '23:00', level: 50 }] });
  const T0 = Date.parse('2026-01-15T17:00:00Z'); // 19:00 in Kyiv: level 100 until 23:00 (21:00Z)
  const registry = testRegistry(kind);
  let dir: ReturnType<typeof makeTempDir>;
  let db: RegistryDb;
  let commands: CommandTable;
  let heard: Map<string, number>;
  let sent: LightingCommand[];
  let overrides: ActiveOverride[];
  let d: Dispatcher;
  /** a cabinet's newest command as the next pass sees it (the writes since its last read, read again) */
  const newest = async (controllerId: string) => {
    await commands.refresh();
    return commands.newest(controllerId);
  };

  beforeEach(async () => {
    dir = makeTempDir('dispatcher');
    const local = openRegistryDb(dir.path);
    applyDomainMigrations(local, LIGHTING_MIGRATIONS, () => T0);
    const env = await registry.env();
    if (env.DATABASE_URL) {
      local.close();
      db = await openPostgresRegistry({ url: env.DATABASE_URL });
      await applySharedMigrations(db, LIGHTING_MIGRATIONS, () => T0);
    } else {
      const sqlite = sqliteRegistry(local);
      db = { ...sqlite, close: async () => void local.close() };
    }
    commands = new CommandTable(db);
    await commands.load();
    heard = new Map();
    sent = [];
    overrides = [];
    d = new Dispatcher({
      commands, place: { lat: 48.5079, lon: 32.2623 }, zone: zoneOf('Europe/Kyiv'),
      retry: { ackTimeoutMs: 5_000, maxAttempts: 3, onlineWindowMs: 600_000, reassertAfterMs: 300_000 },
      cabinets: () => [{ id: 'c1', groupId: 'g' }],
      schedules: () => new Map([['g', schedule]]),
      overrides: () => overrides,
      lastHeard: (id) => heard.get(id),
      deliver: async (_cmd, payload) => {
        sent.push(payload);
      },
    });
  });
  afterEach(async () => {
    commands.close();
    await db.close();
    dir.remove();
  });
  afterAll(() => registry.stop(), 30_000);

  it('waits for a cabinet never heard from, then sends with the plan\'s level and expiry', async () => {
    expect(await d.tick(T0)).toEqual({ created: 1, sent: 0, expired: 0 });
    expect(await newest('c1')).toMatchObject({ state: 'pending', detail: 'the cabinet is offline; sent when it is heard from' });
    heard.set('c1', T0 + 100);
    expect(await d.tick(T0 + 200)).toEqual({ created: 0, sent: 1, expired: 0 });
    expect(sent).toEqual([{ cmdId: (await newest('c1'))!.id, ts: new Date(T0 + 200).toISOString(), action: 'set-level', level: 100, expiresAt: '2026-01-15T21:00:00.000Z' }]);
    expect(await newest('c1')).toMatchObject({ state: 'sent', attempts: 1, next_attempt_at: T0 + 200 + 5_000 });
  });

  it('resends with doubling timeouts to a cabinet that talks but does not ack, then fails', async () => {
    heard.set('c1', T0);
    await d.tick(T0);
    const id = (await newest('c1'))!.id;
    const talk = (t: number) => heard.set('c1', t);
    talk(T0 + 1_000);
    expect((await d.tick(T0 + 4_999)).sent).toBe(0);
    expect((await d.tick(T0 + 5_000)).sent).toBe(1);
    expect(await commands.get(id)).toMatchObject({ attempts: 2, next_attempt_at: T0 + 5_000 + 10_000 });
    talk(T0 + 6_000);
    expect((await d.tick(T0 + 14_999)).sent).toBe(0);
    expect((await d.tick(T0 + 15_000)).sent).toBe(1);
    expect(await commands.get(id)).toMatchObject({ attempts: 3, next_attempt_at: T0 + 15_000 + 20_000 });
    talk(T0 + 16_000);
    await d.tick(T0 + 35_000);
    expect(await commands.get(id)).toMatchObject({ state: 'failed', detail: 'no acknowledgement after 3 sends', finished_at: T0 + 35_000 });
    expect(sent.map((s) => s.cmdId)).toEqual([id, id, id]);
    // the same desire is tried again after reassertAfterMs, as a new command
    expect((await d.tick(T0 + 35_000 + 299_999)).created).toBe(0);
    expect((await d.tick(T0 + 35_000 + 300_000)).created).toBe(1);
  });

  it('a cabinet silent since the send waits without using up attempts; heard again, it gets the command', async () => {
    heard.set('c1', T0);
    await d.tick(T0);
    const id = (await newest('c1'))!.id;
    await d.tick(T0 + 5_000);
    expect(await commands.get(id)).toMatchObject({ state: 'pending', attempts: 1 });
    for (const t of [T0 + 60_000, T0 + 600_000]) expect((await d.tick(t)).sent).toBe(0);
    heard.set('c1', T0 + 700_000);
    expect((await d.tick(T0 + 700_000)).sent).toBe(1);
    expect(await commands.get(id)).toMatchObject({ state: 'sent', attempts: 2 });
    expect(await commands.acknowledge('c1', id, 'applied', undefined, T0 + 700_100)).toBe('acknowledged');
    expect((await d.tick(T0 + 700_200))).toEqual({ created: 0, sent: 0, expired: 0 });
  });

  it('an override outranks the schedule; its command expires with it and is never sent after', async () => {
    overrides = [{ id: 'o1', groupId: null, controllerId: 'c1', level: 20, priority: 'operator', createdAt: T0, expiresAt: T0 + 60_000 }];
    await d.tick(T0);
    const id = (await newest('c1'))!.id;
    expect(await commands.get(id)).toMatchObject({ level: 20, source: 'override:o1', expires_at: T0 + 60_000, state: 'pending' });
    overrides = [];
    heard.set('c1', T0 + 60_000);
    const r = await d.tick(T0 + 60_000);
    expect(await commands.get(id)).toMatchObject({ state: 'expired', detail: 'its expiry passed before the cabinet applied it' });
    expect(r).toEqual({ created: 1, sent: 1, expired: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ level: 100 });
    expect(sent[0]!.cmdId).not.toBe(id);
  });

  it('at the plan\'s step the old command expires and the new level goes out', async () => {
    heard.set('c1', T0);
    await d.tick(T0);
    await commands.acknowledge('c1', (await newest('c1'))!.id, 'applied', undefined, T0 + 1);
    const at = Date.parse('2026-01-15T21:00:00Z');
    heard.set('c1', at - 1);
    expect(await d.tick(at - 1)).toEqual({ created: 0, sent: 0, expired: 0 });
    expect(await d.tick(at)).toEqual({ created: 1, sent: 1, expired: 0 });
    expect(sent.at(-1)).toMatchObject({ action: 'set-level', level: 50, expiresAt: '2026-01-16T04:30:00.000Z' });
  });
  it('the newest command kept in memory follows every write: send, wait, resend, ack, late ack, expiry, supersede', async () => {
    // newest() keeps rows between passes; each step checks it against a fresh primary-key read
    const same = async () => {
      const n = (await newest('c1'))!;
      expect(n).toEqual(await commands.get(n.id));
      return n;
    };
    await d.tick(T0);
    expect(await same()).toMatchObject({ state: 'pending', detail: 'the cabinet is offline; sent when it is heard from' });
    heard.set('c1', T0 + 1);
    await d.tick(T0 + 2);
    expect(await same()).toMatchObject({ state: 'sent', attempts: 1 });
    heard.set('c1', T0 + 3);
    await d.tick(T0 + 5_002);
    expect(await same()).toMatchObject({ state: 'sent', attempts: 2 });
    const first = (await same()).id;
    await commands.acknowledge('c1', first, 'applied', undefined, T0 + 5_100);
    expect(await same()).toMatchObject({ id: first, state: 'acknowledged', finished_at: T0 + 5_100 });
    await commands.acknowledge('c1', first, 'applied', undefined, T0 + 5_200);
    expect((await same()).detail).toContain('late ack (applied)');
    // an override supersedes it; the override's command expires with it, unsent (cabinet silent)
    overrides = [{ id: 'o1', groupId: 'g', controllerId: null, level: 20, priority: 'operator', createdAt: T0 + 6_000, expiresAt: T0 + 60_000 }];
    heard.delete('c1');
    await d.tick(T0 + 6_000);
    expect(await same()).toMatchObject({ source: 'override:o1', state: 'pending' });
    overrides = [];
    const byOverride = (await same()).id;
    await d.tick(T0 + 60_000);
    expect(await commands.get(byOverride)).toMatchObject({ state: 'expired' });
    // the plan's command is newest again, its row read afresh
    expect(await same()).toMatchObject({ source: 'schedule', state: 'pending' });
  });

  it('a pass reads only the commands it has to act on: pending ones and sent ones whose ack is overdue', async () => {
    heard.set('c1', T0);
    await d.tick(T0);
    const id = (await newest('c1'))!.id;
    expect((await commands.list({ state: 'sent', limit: 10 })).map((c) => c.cmdId)).toEqual([id]);
    expect(await commands.due(T0 + 4_999)).toEqual([]);
    expect((await commands.due(T0 + 5_000)).map((c) => c.id)).toEqual([id]);
  });
  it('an ack of its newest command leaves nothing waiting for a cabinet; an ack of an older one does not', async () => {
    heard.set('c1', T0);
    await d.tick(T0);
    const first = (await newest('c1'))!.id;
    // no ack within the timeout and silent since the send: presumed offline, a command waits for it
    await d.tick(T0 + 5_000);
    expect(d.waitsFor('c1')).toBe(true);
    // the late ack of an older command (an override came meanwhile) says nothing of the newest
    overrides = [{ id: 'o1', groupId: 'g', controllerId: null, level: 20, priority: 'operator', createdAt: T0 + 5_500, expiresAt: T0 + 600_000 }];
    await d.tick(T0 + 6_000);
    expect((await newest('c1'))!.id).not.toBe(first);
    await d.tick(T0 + 11_000);
    expect(d.waitsFor('c1')).toBe(true);
    await commands.acknowledge('c1', first, 'applied', undefined, T0 + 6_100);
    d.settled('c1', first);
    expect(d.waitsFor('c1')).toBe(true);
    const latest = (await newest('c1'))!.id;
    await commands.acknowledge('c1', latest, 'applied', undefined, T0 + 6_200);
    d.settled('c1', latest);
    expect(d.waitsFor('c1')).toBe(false);
  });

  it('acks kept together: a resent ack in the same batch counts once, a late one is noted, an unknown one changes no command', async () => {
    heard.set('c1', T0);
    await d.tick(T0);
    const first = (await newest('c1'))!.id;
    overrides = [{ id: 'o1', groupId: 'g', controllerId: null, level: 20, priority: 'operator', createdAt: T0 + 1_000, expiresAt: T0 + 600_000 }];
    await d.tick(T0 + 1_000);
    const second = (await newest('c1'))!.id;
    const acks = new CommandAcks(db);
    const ack = (cmdId: string, status: 'applied' | 'rejected', at: number) => ({ controllerId: 'c1', ack: { cmdId, ts: at, status }, receivedMs: at });
    const batch = [ack(second, 'rejected', T0 + 2_000), ack(second, 'applied', T0 + 2_001), ack(first, 'applied', T0 + 2_002), ack('no-such-command', 'applied', T0 + 2_003)];
    await db.transaction(async (tx) => {
      await acks.keepIn(tx, batch);
      await commands.acknowledgeIn(tx, batch.map((b) => ({ controllerId: b.controllerId, cmdId: b.ack.cmdId, status: b.ack.status, reason: undefined, receivedMs: b.receivedMs })));
    });
    // the last answer of a command in the batch counts
    expect(await commands.get(second)).toMatchObject({ state: 'acknowledged', finished_at: T0 + 2_001 });
    expect(await newest('c1')).toMatchObject({ id: second, state: 'acknowledged' });
    expect(await commands.get(first)).toMatchObject({ state: 'expired', detail: `superseded by ${second}; late ack (applied) at ${new Date(T0 + 2_002).toISOString()}` });
    expect(await commands.get('no-such-command')).toBeUndefined();
    const kept = await acks.list('c1');
    expect(kept.map((k) => [k.cmdId, k.status])).toEqual([['no-such-command', 'applied'], [first, 'applied'], [second, 'applied']]);
  });
});
