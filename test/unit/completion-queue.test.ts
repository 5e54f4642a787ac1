import { describe, expect, it } from 'vitest';
import { CompletionQueue } from '../../services/broker/completion-queue.ts';

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('CompletionQueue', () => {
  it('hands callbacks back in order, at most perTurn per turn of the event loop', async () => {
    const q = new CompletionQueue(3);
    const done: number[] = [];
    const turns: number[][] = [];
    for (let i = 0; i < 7; i++) q.push(() => done.push(i));
    expect(q.length).toBe(7);
    for (let turn = 0; turn < 3; turn++) {
      await nextTurn();
      turns.push([...done]);
    }
    expect(turns).toEqual([[0, 1, 2], [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]]);
    expect(q.length).toBe(0);
  });

  it('stops a turn once its time budget is spent, and goes on in the next', async () => {
    let clock = 0;
    // Every callback "takes" 1 ms of the fake clock; the budget is 10 ms, looked at every 64 callbacks.
    const q = new CompletionQueue(100_000, () => 10, () => clock);
    const done: number[] = [];
    for (let i = 0; i < 200; i++) {
      q.push(() => {
        clock += 1;
        done.push(i);
      });
    }
    await nextTurn();
    expect(done).toHaveLength(64);
    await nextTurn();
    expect(done).toHaveLength(128);
    await nextTurn();
    await nextTurn();
    expect(done).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(q.length).toBe(0);
  });

  it('runs callbacks pushed while it runs, in order, without losing any', async () => {
    const q = new CompletionQueue(5);
    const done: string[] = [];
    for (let i = 0; i < 6; i++) q.push(() => {
      done.push(`a${i}`);
      if (i % 2 === 0) q.push(() => done.push(`b${i}`));
    });
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    expect(done).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'b0', 'b2', 'b4']);
    expect(q.length).toBe(0);
  });
});
