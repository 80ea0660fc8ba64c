import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { enabledAutomations, loadConfig, topicProblem } from '@loopabull/core';
import { shippedAutomations } from './automations.js';

const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname;

describe('examples/', () => {
  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml')))(
    '%s loads with the shipped automations, its playbooks directory the shipped one',
    (file) => {
      const config = loadConfig({
        path: join(EXAMPLES, file),
        env: {},
        automations: shippedAutomations,
      });
      expect(config.ansible.playbooks_dir).toBe(join(EXAMPLES, '..', 'playbooks'));
    },
  );

  it.each([
    ['releng-hardware.yml', 'hardware'],
    ['taskotron.yml', 'taskotron'],
  ])('%s runs its automation alone', (file, automation) => {
    const config = loadConfig({
      path: join(EXAMPLES, file),
      env: {},
      automations: shippedAutomations,
    });
    expect(enabledAutomations(config, shippedAutomations).map((a) => a.name)).toEqual([automation]);
  });

  it.each(readdirSync(join(EXAMPLES, 'messages')))(
    'messages/%s is a JSON body named after a topic',
    (file) => {
      expect(topicProblem(file.replace(/\.json$/, ''))).toBeNull();
      expect(() =>
        JSON.parse(readFileSync(join(EXAMPLES, 'messages', file), 'utf8')),
      ).not.toThrow();
    },
  );
});
