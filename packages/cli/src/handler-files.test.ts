import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { SHIPPED_PLAYBOOKS_DIR } from '@loopabull/core';
import { shippedAutomations } from './automations.js';

describe("the shipped automations' topics, which doctor checks the playbooks directory for", () => {
  it('each have their handler file in the source tree’s playbooks/', () => {
    for (const automation of shippedAutomations)
      for (const { topic } of automation.topics ?? [])
        expect([topic, existsSync(join(SHIPPED_PLAYBOOKS_DIR, `${topic}.mjs`))]).toEqual([
          topic,
          true,
        ]);
  });

  it('are all the shipped handler files that hand events to an automation', () => {
    const declared = new Map(
      shippedAutomations.flatMap((a) => (a.topics ?? []).map((t) => [t.topic, a.name])),
    );
    for (const file of readdirSync(SHIPPED_PLAYBOOKS_DIR).filter((f) => f.endsWith('.mjs'))) {
      const text = readFileSync(join(SHIPPED_PLAYBOOKS_DIR, file), 'utf8');
      const name = /ctx\.automation(?:Batch)?\('([^']+)'/.exec(text)?.[1];
      if (name) expect([file, declared.get(file.slice(0, -'.mjs'.length))]).toEqual([file, name]);
    }
  });
});
