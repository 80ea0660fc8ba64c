import { describe, expect, it } from '@jest/globals';
import { settleable } from '@test/support';
import { TurnBatch } from './turn-batch.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('runs the items added in one turn together, each caller getting its own result', async () => {
    const runs: string[][] = [];
    const batch = new TurnBatch(async (items: string[]) => {
      runs.push([...items]);
      return items.map((item) => item.toUpperCase());
    });
    const first = [batch.add('a'), batch.add('b'), batch.add('c')];
    expect(runs).toEqual([]);
    expect(await Promise.all(first)).toEqual(['A', 'B', 'C']);
    await nextTurn();
    expect(await batch.add('d')).toBe('D');
    expect(runs).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('starts a new batch for items added while one runs', async () => {
    const held = settleable();
    const runs: number[][] = [];
    const batch = new TurnBatch(async (items: number[]) => {
      runs.push([...items]);
      if (runs.length === 1) await held.promise;
      return items.map((n) => n * 10);
    });
    const first = batch.add(1);
    await nextTurn();
    const second = batch.add(2);
    await nextTurn();
    expect(runs).toEqual([[1], [2]]);
    expect(await second).toBe(20);
    held.resolve();
    expect(await first).toBe(10);
  });

  it('fails every caller of a batch whose run failed, and the next batch runs afresh', async () => {
    let fail = true;
    const batch = new TurnBatch(async (items: string[]) => {
      if (fail) throw new Error('Redis said no');
      return items;
    });
    const failed = [batch.add('a'), batch.add('b')];
    for (const p of failed) await expect(p).rejects.toThrow('Redis said no');
    fail = false;
    expect(await batch.add('c')).toBe('c');
  });
});
