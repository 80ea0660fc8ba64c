import { describe, expect, it } from '@jest/globals';
import { PermanentError } from '@loopabull/core';
import { JobBatches, playbookBatch, runsAlone } from './job-batches.js';

const settle = (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('JobBatches', () => {
  it('runs a batch once it holds max items, each item getting its own outcome', async () => {
    const batches = new JobBatches(50);
    const calls: number[][] = [];
    const run = async (items: number[]) => {
      calls.push(items);
      return items.map((n) => (n === 2 ? new Error('two') : n * 10));
    };
    const settings = { max: 3, wait_ms: 60_000 };
    const outcomes = await Promise.all(
      [1, 2, 3].map((n) => settle(batches.submit('m', settings, n, run))),
    );
    expect(calls).toEqual([[1, 2, 3]]);
    expect(outcomes).toEqual([{ value: 10 }, { error: new Error('two') }, { value: 30 }]);
  });

  it('runs no batch larger than the worker runs jobs at once, and one per module', async () => {
    const batches = new JobBatches(2);
    const calls: string[][] = [];
    const run = async (items: string[]) => (calls.push(items), items);
    const settings = { max: 100, wait_ms: 60_000 };
    await Promise.all([
      batches.submit('a', settings, 'a1', run),
      batches.submit('b', settings, 'b1', run),
      batches.submit('a', settings, 'a2', run),
      batches.submit('b', settings, 'b2', run),
    ]);
    expect(calls).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]);
  });

  it('runs a batch that is not full wait_ms after its first item', async () => {
    const batches = new JobBatches(50);
    const run = async (items: number[]) => items.map(() => items.length);
    expect(await batches.submit('m', { max: 10, wait_ms: 5 }, 1, run)).toBe(1);
  });

  it('fails every item when the handler throws, or returns no outcome per item (permanently)', async () => {
    const batches = new JobBatches(2);
    const settings = { max: 2, wait_ms: 60_000 };
    const thrown = await Promise.all(
      [1, 2].map((n) =>
        settle(
          batches.submit('m', settings, n, async () => {
            throw new Error('down');
          }),
        ),
      ),
    );
    expect(thrown).toEqual([{ error: new Error('down') }, { error: new Error('down') }]);
    const short = await Promise.all(
      [1, 2].map((n) => settle(batches.submit('m', settings, n, async () => [1]))),
    );
    for (const outcome of short) {
      expect((outcome as { error: unknown }).error).toBeInstanceOf(PermanentError);
      expect(String((outcome as { error: unknown }).error)).toMatch(/got 1 for 2/);
    }
  });

  it('runs every open batch at once when asked to flush (the worker is stopping)', async () => {
    const batches = new JobBatches(50);
    const run = async (items: string[]) => items.map(() => items.length);
    const pending = [
      batches.submit('a', { max: 10, wait_ms: 60_000 }, 'a1', run),
      batches.submit('a', { max: 10, wait_ms: 60_000 }, 'a2', run),
      batches.submit('b', { max: 10, wait_ms: 60_000 }, 'b1', run),
    ];
    batches.flushAll();
    expect(await Promise.all(pending)).toEqual([2, 2, 1]);
  });

  it('runs the last try of a retried job alone, and never the only try', () => {
    expect([1, 2, 3].map((attempt) => runsAlone(attempt, 3))).toEqual([false, false, true]);
    // `jobs retry` gives a parked job one more try.
    expect(runsAlone(4, 3)).toBe(true);
    // Without retries, batches are kept: there is no later try to isolate.
    expect(runsAlone(1, 1)).toBe(false);
  });
});

describe('playbookBatch', () => {
  const prod = 'org.fedoraproject.prod.buildsys.tag';
  const stg = 'org.fedoraproject.stg.buildsys.tag';
  const file = '/srv/playbooks/buildsys.tag.yml';
  const listed = { [prod]: { max: 2, wait: 1 }, [stg]: { max: 3, wait: 30 } };

  it('gives topics folded to one playbook a batch each, with their own settings', () => {
    const p = playbookBatch(listed, prod, file)!;
    const s = playbookBatch(listed, stg, file)!;
    expect(p.settings).toEqual({ max: 2, wait_ms: 1000 });
    expect(s.settings).toEqual({ max: 3, wait_ms: 30_000 });
    expect(p.key).not.toBe(s.key);
    expect(playbookBatch(listed, prod, file)).toEqual(p);
    // A file dropped in for the full topic starts a batch of its own: a run has one playbook.
    expect(playbookBatch(listed, prod, '/srv/playbooks/' + prod + '.yml')!.key).not.toBe(p.key);
  });

  it('batches only the topics listed, as they arrive, and no inherited property', () => {
    expect(playbookBatch(listed, 'buildsys.tag', file)).toBeNull();
    expect(playbookBatch(listed, 'org.fedoraproject.prod.buildsys.untag', file)).toBeNull();
    expect(playbookBatch(listed, 'constructor', '/srv/playbooks/constructor.yml')).toBeNull();
  });

  it('never mixes the jobs of folded topics in one run, each batch filling by its own max', async () => {
    const batches = new JobBatches(50);
    const calls: string[][] = [];
    const run = async (items: string[]) => (calls.push(items), items);
    const submit = (topic: string, item: string) => {
      const { key, settings } = playbookBatch(listed, topic, file)!;
      return batches.submit(key, settings, item, run);
    };
    await Promise.all([
      submit(stg, 's1'),
      submit(prod, 'p1'),
      submit(stg, 's2'),
      submit(prod, 'p2'),
      submit(stg, 's3'),
    ]);
    expect(calls).toEqual([
      ['p1', 'p2'],
      ['s1', 's2', 's3'],
    ]);
  });
});
