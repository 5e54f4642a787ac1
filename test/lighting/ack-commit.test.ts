import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../services/lighting/command-acks.ts';

/** A scheduler the test turns by hand: what `setImmediate` would run at the next turn. */
function manualTurns() {
  const queued: (() => void)[] = [];
  return {
    schedule: (fn: () => void) => void queued.push(fn),
    turn() {
      const now = queued.splice(0);
      for (const fn of now) fn();
      return now.length;
    },
    get queued() {
      return queued.length;
    },
  };
}

/** Lets the commit in flight finish (its promise callbacks run), so the next batch is scheduled. */
const afterCommit = () => new Promise((r) => setImmediate(r));

const settled = async <T>(p: Promise<T>): Promise<'resolved' | 'rejected' | 'waiting'> => {
  let state: 'resolved' | 'rejected' | 'waiting' = 'waiting';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await new Promise((r) => setImmediate(r));
  return state;
};

describe('GroupCommit: the acks of one turn share one transaction', () => {
  it('commits everything added within a turn at once, and resolves only after the commit', async () => {
    const turns = manualTurns();
    const commits: number[][] = [];
    const g = new GroupCommit<number>((items) => void commits.push([...items]), 100, turns.schedule);
    const ps = [1, 2, 3].map((n) => g.add(n));
    expect(turns.queued).toBe(1);
    expect(await settled(ps[0]!)).toBe('waiting');
    expect(commits).toEqual([]);
    turns.turn();
    expect(commits).toEqual([[1, 2, 3]]);
    await Promise.all(ps);
    // the next turn's items make the next transaction
    const p4 = g.add(4);
    turns.turn();
    await p4;
    expect(commits).toEqual([[1, 2, 3], [4]]);
    expect({ commits: g.commits, kept: g.kept }).toEqual({ commits: 2, kept: 4 });
  });

  it('splits a turn larger than maxBatch over several commits, in order, one at a time', async () => {
    const turns = manualTurns();
    const commits: number[][] = [];
    const g = new GroupCommit<number>((items) => void commits.push([...items]), 3, turns.schedule);
    const all = Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => g.add(n)));
    turns.turn();
    expect(commits).toEqual([[1, 2, 3]]);
    // the next batch waits for the commit in flight
    expect(turns.turn()).toBe(0);
    await afterCommit();
    turns.turn();
    await afterCommit();
    turns.turn();
    await afterCommit();
    expect(turns.turn()).toBe(0);
    expect(commits).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    await all;
  });

  it('what arrives while a commit is in flight (a round trip to PostgreSQL) waits, then shares the next one', async () => {
    const turns = manualTurns();
    const commits: number[][] = [];
    let finish!: () => void;
    const g = new GroupCommit<number>((items) => {
      commits.push([...items]);
      return new Promise<void>((r) => (finish = r));
    }, 100, turns.schedule);
    const first = g.add(1);
    turns.turn();
    const later = [2, 3, 4].map((n) => g.add(n));
    expect(turns.turn()).toBe(0);
    expect(await settled(first)).toBe('waiting');
    finish();
    await first;
    expect(await settled(later[0]!)).toBe('waiting');
    turns.turn();
    expect(commits).toEqual([[1], [2, 3, 4]]);
    finish();
    await Promise.all(later);
    expect({ commits: g.commits, kept: g.kept }).toEqual({ commits: 2, kept: 4 });
  });

  it('a failed transaction refuses every item in it, and only those', async () => {
    const turns = manualTurns();
    let fail = true;
    const g = new GroupCommit<number>(() => {
      if (fail) throw new Error('disk full');
    }, 10, turns.schedule);
    const a = g.add(1);
    const b = g.add(2);
    turns.turn();
    await expect(a).rejects.toThrow('disk full');
    await expect(b).rejects.toThrow('disk full');
    await afterCommit();
    fail = false;
    const c = g.add(3);
    turns.turn();
    await expect(c).resolves.toBeUndefined();
    expect({ commits: g.commits, kept: g.kept }).toEqual({ commits: 1, kept: 1 });
  });

  it('drain commits what still waits (the module closes)', async () => {
    const turns = manualTurns();
    const commits: number[][] = [];
    const g = new GroupCommit<number>((items) => void commits.push([...items]), 2, turns.schedule);
    const all = Promise.all([1, 2, 3].map((n) => g.add(n)));
    await g.drain();
    expect(commits).toEqual([[1, 2], [3]]);
    await all;
    expect(turns.turn()).toBeGreaterThan(0); // the scheduled turns find nothing left
    expect(commits).toHaveLength(2);
  });

  describe('on a real SQLite transaction', () => {
    let db: Database.Database | undefined;
    afterEach(() => db?.close());

    it('is all or nothing: one bad row leaves none of its batch written; a later batch goes through', async () => {
      db = new Database(':memory:');
      db.exec('CREATE TABLE acks (cmd_id TEXT PRIMARY KEY, status TEXT NOT NULL)');
      const insert = db.prepare('INSERT INTO acks (cmd_id, status) VALUES (?, ?)');
      const g = new GroupCommit<{ id: string; status: string | null }>(db.transaction((items: readonly { id: string; status: string | null }[]) => {
        for (const i of items) insert.run(i.id, i.status);
      }));
      // setImmediate: all three were added in the same turn, so they share the transaction
      const bad = [g.add({ id: 'a', status: 'applied' }), g.add({ id: 'b', status: null }), g.add({ id: 'c', status: 'applied' })];
      const outcomes = await Promise.allSettled(bad);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(db.prepare('SELECT count(*) AS n FROM acks').get()).toEqual({ n: 0 });
      await Promise.all([g.add({ id: 'a', status: 'applied' }), g.add({ id: 'b', status: 'rejected' })]);
      expect(db.prepare('SELECT cmd_id, status FROM acks ORDER BY cmd_id').all()).toEqual([{ cmd_id: 'a', status: 'applied' }, { cmd_id: 'b', status: 'rejected' }]);
      expect(g.commits).toBe(1);
    });
  });
});
