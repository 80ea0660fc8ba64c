import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { exampleConfig } from '@test/support';
import { type Handler, type HandlerContext, type LoopabullEvent } from '@loopabull/core';
import { FUSE_TOPIC } from './fuse.js';
import { triggerTopics } from './normalise.js';
import { SHIPPED_RULES, SHIPPED_TASKS_DIR, taskotronSection } from './section.js';
import { JOB_TOPIC } from './trigger.js';

const PLAYBOOKS = new URL('../../../playbooks/', import.meta.url).pathname;

/** What a shipped handler file hands its event to, and the context it passes on. */
async function handedTo(topic: string) {
  const file = join(PLAYBOOKS, `${topic}.mjs`);
  expect(existsSync(file)).toBe(true);
  const mod = (await import(pathToFileURL(file).href)) as { default: Handler };
  const asked: Array<[string, string | undefined]> = [];
  const calls: Array<[LoopabullEvent, HandlerContext]> = [];
  const ctx = {
    automation: (name: string, key?: string) => {
      asked.push([name, key]);
      return (e: LoopabullEvent, c: HandlerContext) => void calls.push([e, c]);
    },
  } as unknown as HandlerContext;
  const event = { topic } as LoopabullEvent;
  await mod.default(event, ctx);
  expect(calls).toEqual([[event, ctx]]);
  return asked;
}

describe('playbooks/ for taskotron', () => {
  const topics = [...Object.keys(triggerTopics('prod')), ...Object.keys(triggerTopics('stg'))];

  it.each(topics)('%s.mjs hands the message to the trigger', async (topic) => {
    expect(await handedTo(topic)).toEqual([['taskotron', 'trigger']]);
  });

  it('has no playbook beside a trigger file that would run instead of it (.yml is looked up first)', () => {
    for (const topic of topics)
      for (const ext of ['yml', 'yaml', 'ts', 'js'])
        expect(existsSync(join(PLAYBOOKS, `${topic}.${ext}`))).toBe(false);
  });

  it(`${FUSE_TOPIC}.mjs hands a burnt fuse to the fuse handler`, async () => {
    expect(await handedTo(FUSE_TOPIC)).toEqual([['taskotron', 'fuse']]);
  });
});

describe('examples/taskotron.yml', () => {
  const path = new URL('../../../examples/taskotron.yml', import.meta.url).pathname;
  const config = exampleConfig('taskotron.yml');
  /** AMQP topic matching: `*` one word, `#` any number. */
  const bound = (topic: string) =>
    config.bus.bindings.some((b) =>
      new RegExp(
        `^${b.routing_key
          .split('.')
          .map((w) => (w === '*' ? '[^.]+' : w === '#' ? '.*' : w.replace(/[-]/g, '\\$&')))
          .join('\\.')}$`,
      ).test(topic),
    );

  it('binds every production topic the trigger takes, and the jobs it publishes', () => {
    for (const topic of [...Object.keys(triggerTopics('prod')), JOB_TOPIC])
      expect([topic, bound(topic)]).toEqual([topic, true]);
    expect(bound('org.fedoraproject.prod.fas.user.create')).toBe(false);
    expect(config.bus.publish_exchange).toBe(config.bus.bindings[0]!.exchange);
  });

  it('runs the shipped rules and checks, with the fuse and window of the original', () => {
    expect(config.sections.taskotron).toMatchObject({
      enabled: true,
      rules: SHIPPED_RULES,
      tasks_dir: SHIPPED_TASKS_DIR,
      fuse_delay: 900,
      resultsdb_url: null,
    });
  });

  it('names every taskotron key, set or in a comment, as docs/taskotron.md says it does', () => {
    const text = readFileSync(path, 'utf8');
    const missing = Object.keys(taskotronSection.shape).filter(
      (key) => !new RegExp(`^ {2}#? ?${key}:`, 'm').test(text),
    );
    expect(missing).toEqual([]);
  });

  it('taskotron: { enabled: true } alone is the same deployment of what ships', () => {
    expect(taskotronSection.parse({ enabled: true })).toMatchObject({
      rules: SHIPPED_RULES,
      tasks_dir: SHIPPED_TASKS_DIR,
    });
  });
});
