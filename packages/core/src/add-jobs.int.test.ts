import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { removeTempDirs, testConfig, testEvent } from '@test/support';
import { createRedis } from './redis.js';
import { WorkQueue } from './work-queue.js';

// Loopabull adds jobs with its own script (add-jobs.lua) and BullMQ reads them as its own: this
// is the check that what the script writes is what BullMQ's add writes, key by key. A BullMQ
// upgrade that changes its job layout fails here.

const redis: Redis = createRedis(testConfig().redis.url);
const queues: WorkQueue[] = [];
afterEach(async () => {
  for (const q of queues.splice(0)) await q.queue.obliterate({ force: true });
});
afterAll(async () => {
  await redis.quit();
  removeTempDirs();
});

function workQueue(): WorkQueue {
  const q = new WorkQueue(testConfig(), redis);
  queues.push(q);
  return q;
}

/** Every key of a queue, by its name after the queue's prefix, as comparable values. */
async function dump(q: WorkQueue): Promise<Record<string, unknown>> {
  const prefix = q.queue.toKey('');
  const out: Record<string, unknown> = {};
  for (const key of await redis.keys(`${prefix}*`)) {
    const name = key.slice(prefix.length);
    const type = await redis.type(key);
    if (type === 'hash') {
      const fields = await redis.hgetall(key);
      // The time of the add, and JSON whose key order is Lua's table order in BullMQ's case.
      if ('timestamp' in fields) fields.timestamp = 'T';
      out[name] = 'opts' in fields ? { ...fields, opts: JSON.parse(fields.opts!) } : fields;
    } else if (type === 'list') out[name] = await redis.lrange(key, 0, -1);
    else if (type === 'zset') out[name] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'stream') out[name] = (await redis.xrange(key, '-', '+')).map(([, f]) => f);
    else if (type === 'string') out[name] = await redis.get(key);
    else out[name] = type;
  }
  return out;
}

describe('adding jobs with add-jobs.lua', () => {
  it('writes what BullMQ writes: jobs, wait list, marker, events, counter, duplicates, a paused queue', async () => {
    const bullmq = workQueue();
    const ours = workQueue();
    // An id BullMQ takes as it is, one it cannot (hashed), and a body with text to escape.
    const events = [
      testEvent('org.fedoraproject.prod.buildsys.build.state.change', { id: 'msg-1' }),
      testEvent('a.b', { id: 'urn:uuid:2', body: { text: 'quote " and \\ and ü', n: [1, 2.5] } }),
    ];
    const later = testEvent('a.c', { id: 'msg-3' });
    const viaBullmq = async (event: (typeof events)[number]) => {
      const job = await bullmq.queue.add(event.topic, event, bullmq.jobOptions(event));
      return job.id;
    };

    const ids = [];
    for (const event of events) ids.push(await viaBullmq(event));
    expect(await ours.enqueueAll(events)).toEqual(ids.map((id) => ({ id, repeated: false })));

    // A redelivery: the same job, left as it was, and a "duplicated" event; told apart from a
    // new job of the same write.
    const fresh = testEvent('a.d', { id: 'msg-4' });
    await viaBullmq(events[0]!);
    await viaBullmq(fresh);
    expect(await ours.enqueueAll([events[0]!, fresh])).toEqual([
      { id: ids[0], repeated: true },
      { id: 'msg-4', repeated: false },
    ]);
    const [running, runningOurs] = [await dump(bullmq), await dump(ours)];
    expect(Object.keys(running)).toEqual(
      expect.arrayContaining(['events', 'id', 'marker', 'meta', 'wait', 'msg-1']),
    );
    expect(runningOurs).toEqual(running);

    // While paused, jobs wait with no marker for the workers.
    await bullmq.pause();
    await ours.pause();
    await viaBullmq(later);
    await ours.enqueue(later);

    const paused = await dump(bullmq);
    expect(paused).toHaveProperty('msg-3');
    expect(await dump(ours)).toEqual(paused);
  });

  it('adds a queue that is not paused a marker, and BullMQ reads the job back whole', async () => {
    const ours = workQueue();
    const event = testEvent('a.b', { body: { deep: { list: [1, 'two'] } } });
    const id = await ours.enqueue(event);
    const job = await ours.queue.getJob(id);
    expect(job?.data).toEqual(event);
    expect(job?.name).toBe('a.b');
    expect(job?.opts).toEqual(ours.jobOptions(event));
    expect(await redis.zrange(ours.queue.keys.marker!, '0', '-1')).toEqual(['0']);
  });
});
