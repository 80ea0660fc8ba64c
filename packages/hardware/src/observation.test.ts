import { describe, expect, it } from '@jest/globals';
import { pulseEvent, pulseFixture, variant } from '../test/helpers.js';
import { observe, stateOf, WORKER_GONE_REASONS } from './observation.js';

const completed = pulseFixture('task-completed');
const other = pulseFixture('task-running-other-provisioner');
const now = new Date('2019-06-26T20:00:00.000Z');
const PROVISIONER = 'releng-hardware';

const running = variant(completed, {
  exchange: 'exchange/taskcluster-queue/v1/task-running',
  edit: (p) => {
    const run = p.status.runs[0]!;
    delete run.resolved;
    delete run.reasonResolved;
    run.state = 'running';
  },
});

function exception(reason: string, withWorker = true) {
  return variant(completed, {
    exchange: 'exchange/taskcluster-queue/v1/task-exception',
    words: withWorker ? {} : { 2: '_', 3: '_', 4: '_' },
    edit: (p) => {
      const run = p.status.runs[0]!;
      run.state = 'exception';
      run.reasonResolved = reason;
      if (!withWorker) {
        delete p.runId;
        delete p.workerGroup;
        delete p.workerId;
        delete run.workerGroup;
        delete run.workerId;
        run.reasonCreated = 'exception';
      }
    },
  });
}

describe('observe', () => {
  it('names the machine and takes the time the run resolved', () => {
    const r = observe(pulseEvent(completed, undefined, now), PROVISIONER);
    expect(r).toEqual({
      ok: true,
      observation: expect.objectContaining({
        state: 'completed',
        worker: { datacenter: 'mdc2', hostname: 't-mojave-r7-153', id: 'mdc2:t-mojave-r7-153' },
        provisioner: 'releng-hardware',
        taskId: 'B3EheQ-IQ5aPzw34KS_a6g',
        runId: 0,
        workerType: 'gecko-t-osx-1014',
        reason: 'completed',
        time: '2019-06-26T19:36:10.521000',
        timeSource: 'event',
        alive: true,
        receivedAt: '2019-06-26T20:00:00.000000',
      }),
    });
  });

  it('takes the time a running run started', () => {
    const r = observe(pulseEvent(running, undefined, now), PROVISIONER);
    expect(r).toMatchObject({
      ok: true,
      observation: { state: 'running', time: '2019-06-26T19:27:48.307000', reason: null },
    });
  });

  it('uses the receive time when the run has no time, and when its time is in the future', () => {
    const noTime = variant(completed, { edit: (p) => delete p.status.runs[0]!.resolved });
    expect(observe(pulseEvent(noTime, undefined, now), PROVISIONER)).toMatchObject({
      observation: { time: '2019-06-26T20:00:00.000000', timeSource: 'received' },
    });
    const future = variant(completed, {
      edit: (p) => (p.status.runs[0]!.resolved = '2099-01-01T00:00:00.000Z'),
    });
    expect(observe(pulseEvent(future, undefined, now), PROVISIONER)).toMatchObject({
      observation: { timeSource: 'received' },
    });
  });

  it('ignores other provisioners, from the body or from the routing key', () => {
    expect(observe(pulseEvent(other), PROVISIONER)).toEqual({
      ok: false,
      ignored: 'provisioner aws-provisioner-v1',
    });
    const bad = Buffer.from('"a string body"');
    expect(observe(pulseEvent(other, bad), PROVISIONER)).toEqual({
      ok: false,
      ignored: 'provisioner aws-provisioner-v1',
    });
    expect(observe(pulseEvent(other), 'aws-provisioner-v1')).toMatchObject({ ok: true });
  });

  it('ignores topics that are not about a run', () => {
    const pending = variant(completed, { exchange: 'exchange/taskcluster-queue/v1/task-pending' });
    expect(observe(pulseEvent(pending), PROVISIONER)).toEqual({
      ok: false,
      ignored: 'topic taskcluster-queue.v1.task-pending is not a task run message',
    });
  });

  it('counts exceptions as life unless the reason says the worker is gone', () => {
    for (const reason of WORKER_GONE_REASONS) {
      expect(observe(pulseEvent(exception(reason), undefined, now), PROVISIONER)).toMatchObject({
        observation: {
          state: 'exception',
          reason,
          alive: false,
          worker: { id: 'mdc2:t-mojave-r7-153' },
        },
      });
    }
    expect(
      observe(pulseEvent(exception('malformed-payload'), undefined, now), PROVISIONER),
    ).toMatchObject({
      observation: { reason: 'malformed-payload', alive: true },
    });
  });

  it('makes an observation without a worker of an exception before any run started', () => {
    const r = observe(
      pulseEvent(exception('deadline-exceeded', false), undefined, now),
      PROVISIONER,
    );
    expect(r).toMatchObject({
      ok: true,
      observation: {
        worker: null,
        state: 'exception',
        reason: 'deadline-exceeded',
        runId: null,
        taskId: 'B3EheQ-IQ5aPzw34KS_a6g',
        timeSource: 'event',
      },
    });
  });

  it('never throws on bodies that are not task messages', () => {
    for (const body of [
      'null',
      '[]',
      '42',
      '"text"',
      '{"status": 7, "runId": "x"}',
      '{"status": {"runs": "no"}}',
    ]) {
      const r = observe(pulseEvent(completed, Buffer.from(body), now), PROVISIONER);
      // The routing key still names the machine; the time is the receive time.
      expect(r).toMatchObject({
        ok: true,
        observation: { worker: { id: 'mdc2:t-mojave-r7-153' }, timeSource: 'received' },
      });
    }
    const bare = { ...completed, routingKey: 'primary' };
    expect(observe(pulseEvent(bare, Buffer.from('{}'), now), PROVISIONER)).toMatchObject({
      ok: true,
      observation: { worker: null },
    });
  });

  it('names each field it could not use, and what it used instead', () => {
    const problemsOf = (fixture: typeof completed, content?: Buffer) => {
      const r = observe(pulseEvent(fixture, content, now), PROVISIONER);
      return r.ok ? r.observation.problems : r.ignored;
    };
    expect(problemsOf(completed)).toEqual([]);
    expect(problemsOf(exception('deadline-exceeded', false))).toEqual([]);
    const unicode = variant(completed, {
      edit: (p) => {
        p.workerGroup = 'üdc';
        p.workerId = 42;
        p.status.runs[0]!.workerId = 'x'.repeat(500_000);
      },
    });
    expect(problemsOf(unicode)).toEqual([
      'workerGroup "üdc" is not an id (1 to 128 of A-Z a-z 0-9 _ . -)',
      'workerId 42 is not an id (1 to 128 of A-Z a-z 0-9 _ . -)',
      `status.runs[0].workerId "${'x'.repeat(59)}… (500002 characters) is not an id (1 to 128 of A-Z a-z 0-9 _ . -)`,
      'machine taken from the routing key',
    ]);
    const bare = variant(completed, {
      edit: (p) => {
        delete p.workerGroup;
        delete p.workerId;
        p.runId = 'length';
        p.status.runs[0]!.resolved = '2099-01-01T00:00:00.000Z';
      },
    });
    expect(problemsOf(bare)).toEqual([
      'runId "length" is not a run id (0 to 1000)',
      'workerGroup and workerId are missing',
      'machine taken from its run',
      'status.runs[0].resolved "2099-01-01T00:00:00.000Z" is more than 300 s after the receive time: stamped with the receive time',
    ]);
    const noSuchRun = variant(completed, { edit: (p) => (p.runId = 3) });
    expect(problemsOf(noSuchRun)).toEqual([
      'status.runs has no run 3: stamped with the receive time',
    ]);
    expect(problemsOf(completed, Buffer.from('[1]'))).toEqual([
      'body is an array, not a task message object',
    ]);
    const nobody = { ...completed, routingKey: 'primary.t._.mdc2.a:b.releng-hardware.w' };
    expect(problemsOf(nobody, Buffer.from('{"status": {"runs": {}}}'))).toEqual([
      'status.runs is an object, not an array',
      'workerGroup and workerId are missing',
      'routing key workerId "a:b" is not an id (1 to 128 of A-Z a-z 0-9 _ . -)',
      'no machine named: kept as a message without a worker',
    ]);
  });

  it('derives the state from the pulse topic', () => {
    expect(stateOf({ topic: 'taskcluster-queue.v1.task-failed', exchange: '' })).toBe('failed');
    expect(
      stateOf({ topic: 'primary.x', exchange: 'exchange/taskcluster-queue/v1/task-running' }),
    ).toBe('running');
    expect(stateOf({ topic: 'taskcluster-queue.v1.task-defined', exchange: '' })).toBeNull();
  });
});
