import { describe, expect, it } from 'vitest';
import { CompletionQueue } from '../../services/broker/completion-queue.ts';

describe('CompletionQueue', () => {
  it('hands callbacks back in order, at most perTurn per turn of the event loop', async () => {
    const q = new CompletionQueue(3);
    const done: number[] = [];
    const turns: number[][] = [];
    for (let i = 0; i < 7; i++) q.push(() => done.push(i));
    expect(q.length).toBe(7);
    for (let turn = 0; turn < 3; turn++) {
      await new Promise((r) => setImmediate(r));
      turns.push([...done]);
    }
    expect(turns).toEqual([[0, 1, 2], [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6]]);
    expect(q.length).toBe(0);
  });
});
