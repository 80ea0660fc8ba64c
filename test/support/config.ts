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

/** The fedmsgrabbitmq looper's connection keys in a Loopabull 0.0.7 file. */
export interface LegacyRabbit {
  /** Left out, 0.0.7 (pika) used the local broker. */
  host?: string;
  port?: number;
  virtual_host?: string;
  tls?: { ca_cert: string; certfile: string; keyfile: string };
}

/**
 * A Loopabull 0.0.7 file: the bus only in its `plugins.looper` block, consuming `topic`. Besides
 * 0.0.7's keys it has this test's own Redis prefix and queue name (and `redisUrl`), so that its
 * jobs stay apart from every other test's; it logs in as guest unless given `credentials`. The
 * names written are returned as written: a test publishes to them, not to what the mapping made
 * of them.
 */
export function legacyConfig(
  rabbitmq: LegacyRabbit,
  topic: string,
  opts: { redisUrl?: string; credentials?: { username: string; password: string } } = {},
): { configPath: string; exchange: string; queue: string; config: Config } {
  const dir = tempDir('legacy');
  const id = randomBytes(4).toString('hex');
  const [exchange, queue] = [`legacy-exchange-${id}`, `legacy-queue-${id}`];
  const { tls, ...connection } = rabbitmq;
  const configPath = join(dir, 'loopabull.yml');
  writeFileSync(
    configPath,
    yaml.dump({
      loglevel: 'debugging',
      plugins: {
        looper: {
          name: 'fedmsgrabbitmq',
          routing_keys: [topic],
          rabbitmq: connection,
          credentials: opts.credentials ?? { username: 'guest', password: 'guest' },
          ...(tls ? { tls } : {}),
          exchange: { name: exchange },
          channel_queue: { name: queue, durable: false },
        },
        translator: { name: 'rkname' },
      },
      routing_keys: [topic],
      ansible: { playbooks_dir: join(dir, 'playbooks'), playbook_cmd: 'ansible-playbook' },
      redis: { prefix: `test-${id}`, ...(opts.redisUrl ? { url: opts.redisUrl } : {}) },
      queue: { name: `q-${id}` },
    }),
  );
  const config = loadConfig({ path: configPath, env: {}, automations: shippedAutomations });
  return { configPath, exchange, queue, config };
}

/**
 * A shipped example configuration (`examples/<file>`), loaded as the `loopabull` command loads
 * it: each example names the other automations' sections to disable them.
 */
export function exampleConfig(file: string, env: Record<string, string> = {}): Config {
  const path = new URL(`../../examples/${file}`, import.meta.url).pathname;
  return loadConfig({ path, env, automations: shippedAutomations });
}
