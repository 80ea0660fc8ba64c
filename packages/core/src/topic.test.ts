import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { jobIdFor } from './job-id.js';
import { bindingMatches, topicAllowed, topicProblem } from './topic.js';

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

describe('topicProblem on any string', () => {
  const anyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({
      unit: fc.constantFrom('a', 'Z', '0', '.', '-', '_', '/', '\\', '\0'),
      maxLength: 300,
    }),
  );

  it('accepts only names that stay one plain file name, whatever the input', () => {
    fc.assert(
      fc.property(anyString, (topic) => {
        if (topicProblem(topic) !== null) return;
        expect(topic.length).toBeGreaterThan(0);
        expect(topic.length).toBeLessThanOrEqual(255);
        expect(topic).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
        expect(topic).not.toContain('..');
      }),
      { numRuns: 2000 },
    );
  });

  it('says why in a bounded message for refused ones', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 5000 }).filter((t) => topicProblem(t) !== null),
        (topic) => {
          expect(topicProblem(topic)!.length).toBeLessThan(2000);
        },
      ),
    );
  });

  it('accepts every topic made of letters, digits, dots, dashes and underscores', () => {
    const topic = fc
      .stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/)
      .filter((t) => !t.includes('..'));
    fc.assert(fc.property(topic, (t) => expect(topicProblem(t)).toBeNull()));
  });
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
    for (const id of ['6b2f1a6c-58f5-4a44-92c5-5e0f7a0a2b11', '12-34-56', '1-a'])
      expect(jobIdFor(id)).toBe(id);
  });
  it('hashes ids BullMQ cannot use, deterministically', () => {
    for (const id of ['12345', '1796336021967-2', 'a:b', '_x', 'x'.repeat(200)]) {
      expect(jobIdFor(id)).toMatch(/^h[0-9a-f]{40}$/);
      expect(jobIdFor(id)).toBe(jobIdFor(id));
    }
    expect(jobIdFor('a:b')).not.toBe(jobIdFor('a:c'));
  });
});

describe('bindingMatches', () => {
  it.each([
    ['#', 'a.b.c', true],
    ['#', 'a', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.*', 'a', false],
    ['*.b.#', 'a.b', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'a.b.cd', false],
    ['org.fedoraproject.*.buildsys.tag', 'org.fedoraproject.prod.buildsys.tag', true],
    ['slavealloc.slave.enable', 'slavealloc.slave.disable', false],
  ])('%s against %s: %s', (pattern, key, matches) => {
    expect(bindingMatches(pattern, key)).toBe(matches);
  });
});
