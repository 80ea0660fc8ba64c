import { describe, expect, it } from '@jest/globals';
import { jobIdFor } from './job-id.js';
import { topicAllowed, topicProblem } from './topic.js';

describe('topicProblem', () => {
  it.each([
    'org.fedoraproject.prod.buildsys.build.state.change',
    'taskcluster-queue.v1.task-completed',
    'a',
    'A_b-c.9',
  ])('accepts %s', (topic) => expect(topicProblem(topic)).toBeNull());
  it.each([
    '../../etc/passwd',
    'a/b',
    'a..b',
    '.hidden',
    '',
    'x'.repeat(256),
    'a b',
    'a\0b',
    '-rf',
  ])('refuses %j', (topic) => expect(topicProblem(topic)).toMatch(/topic/));
});

describe('topicAllowed', () => {
  it('takes everything with [all]', () => expect(topicAllowed('x.y', ['all'])).toBe(true));
  it('takes only exact topics otherwise', () => {
    expect(topicAllowed('x.y', ['x.y', 'z'])).toBe(true);
    expect(topicAllowed('x.y.z', ['x.y'])).toBe(false);
  });
});

describe('jobIdFor', () => {
  it('keeps readable ids as they are', () => {
    expect(jobIdFor('6b2f1a6c-58f5-4a44-92c5-5e0f7a0a2b11')).toBe(
      '6b2f1a6c-58f5-4a44-92c5-5e0f7a0a2b11',
    );
  });
  it('hashes ids BullMQ cannot use, deterministically', () => {
    for (const id of ['12345', 'a:b', '_x', 'x'.repeat(200)]) {
      expect(jobIdFor(id)).toMatch(/^h[0-9a-f]{40}$/);
      expect(jobIdFor(id)).toBe(jobIdFor(id));
    }
    expect(jobIdFor('a:b')).not.toBe(jobIdFor('a:c'));
  });
});
