import { describe, expect, it } from '@jest/globals';
import { pulseQueueProblem } from './pulse-queue.js';

const pulse = (queue: string, user = 'jdoe') => ({
  url: `amqps://${user}:secret@pulse.mozilla.org:5671/%2F`,
  queue,
});

describe("a Pulse queue's name", () => {
  it("is the user's when it is queue/<user>/<name>", () => {
    expect(pulseQueueProblem(pulse('queue/jdoe/releng-hardware'))).toBeNull();
  });

  it('names the fix when it is not, as the shipped example left unedited', () => {
    expect(pulseQueueProblem(pulse('queue/PULSE_USER/releng-hardware'))).toEqual({
      problem:
        'Pulse lets user "jdoe" use only queues named queue/jdoe/…, not queue/PULSE_USER/releng-hardware: the looper cannot declare it',
      fix: 'set bus.queue to queue/jdoe/<name>, e.g. queue/jdoe/releng-hardware',
    });
    expect(pulseQueueProblem(pulse('queue/jdoe/'))?.fix).toBe(
      'set bus.queue to queue/jdoe/<name>, e.g. queue/jdoe/loopabull',
    );
  });

  it('reads a percent-encoded user as Pulse does', () => {
    expect(pulseQueueProblem(pulse('queue/a@b/x', 'a%40b'))).toBeNull();
  });

  it('is not checked on other brokers, whose permissions Loopabull cannot know', () => {
    expect(
      pulseQueueProblem({ url: 'amqp://guest:guest@127.0.0.1:5672/%2F', queue: 'anything' }),
    ).toBeNull();
  });
});
