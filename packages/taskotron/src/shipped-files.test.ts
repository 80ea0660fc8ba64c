import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { Handler, HandlerContext, LoopabullEvent } from '@loopabull/core';
import { FUSE_TOPIC } from './fuse.js';
import { triggerTopics } from './normalise.js';

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
