import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { loadConfig, loopabullKeys, type Automation, type Config } from '@loopabull/core';
import { shippedAutomations } from '@loopabull/cli';
import { tempDir } from './temp.js';

export interface TestConfigOptions {
  /** Raw config keys merged over the test defaults (one level deep per section). */
  overrides?: Record<string, unknown>;
  /** Directory for the config file and playbooks; a new temp dir by default. */
  dir?: string;
  /** The automations whose sections the file may have: the shipped ones by default. */
  automations?: readonly Automation[];
}

/**
 * A configuration isolated from every other test and from a real install: its own Redis
 * prefix, queue names and playbooks directory, on the machine's shared Redis and RabbitMQ.
 */
export function testConfig(opts: TestConfigOptions = {}): Config & { configPath: string } {
  const dir = opts.dir ?? tempDir('cfg');
  const id = randomBytes(4).toString('hex');
  const defaults: Record<string, Record<string, unknown>> = {
    redis: { prefix: `test-${id}` },
    queue: { name: `q-${id}`, backoff: 0.05 },
    bus: {
      queue: `loopabull-test-${id}`,
      bindings: [{ exchange: `loopabull-test-${id}`, routing_key: '#' }],
      publish_exchange: `loopabull-test-${id}`,
    },
    ansible: { playbooks_dir: join(dir, 'playbooks') },
  };
  const raw: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    const base = defaults[key];
    raw[key] =
      base && value && typeof value === 'object' && !Array.isArray(value)
        ? { ...base, ...value }
        : value;
  }
  const configPath = join(dir, 'loopabull.yml');
  writeFileSync(configPath, yaml.dump(raw));
  const automations = opts.automations ?? shippedAutomations;
  return { ...loadConfig({ path: configPath, env: {}, automations }), configPath };
}

/** Loopabull's own Redis keys for a config, to delete after a test. */
export const loopabullKeysOf = (config: Config): string[] => Object.values(loopabullKeys(config));
