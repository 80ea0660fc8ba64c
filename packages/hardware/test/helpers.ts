/** Shared by the hardware tests (outside src/, so neither compiled nor collected as a test). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import {
  createLogger,
  loadConfig,
  toEvent,
  type CommandEnv,
  type Config,
  type HandlerContext,
  type LoopabullEvent,
} from '@loopabull/core';
import { FIXTURES } from '../../../test/support/fixtures.js';
import { hardware } from '../src/automation.js';
import { hardwareSettings, type HardwareSection } from '../src/section.js';

const fixtures = FIXTURES;

export interface PulseFixture {
  exchange: string;
  routingKey: string;
  payload: Record<string, unknown> & {
    status: Record<string, unknown> & { runs: Array<Record<string, unknown>> };
  };
}

export function pulseFixture(
  name: 'task-completed' | 'task-running-other-provisioner',
): PulseFixture {
  return JSON.parse(readFileSync(new URL(`pulse/${name}.json`, fixtures), 'utf8')) as PulseFixture;
}

export function preloadFixture(): unknown[] {
  return JSON.parse(readFileSync(new URL('machines-preload.json', fixtures), 'utf8')) as unknown[];
}

export const preloadFixturePath = fileURLToPath(new URL('machines-preload.json', fixtures));

export const exampleConfigPath = fileURLToPath(
  new URL('../../../examples/releng-hardware.yml', import.meta.url),
);

/** The shipped example configuration, with Redis pointed at the test's database if given. */
export function exampleConfig(redisUrl?: string): Config {
  return loadConfig({
    path: exampleConfigPath,
    env: redisUrl ? { REDIS_URL: redisUrl } : {},
    automations: [hardware],
  });
}

/** What `loopabull machines` gets from the CLI: config loading with the hardware section, isolated from the caller's environment. */
export const commandEnv = (cwd: string): CommandEnv => ({
  loadConfig: (opts) => loadConfig({ path: opts.config, env: {}, cwd, automations: [hardware] }),
});

/** The configuration with some of the `hardware:` section changed. */
export const withHardware = (config: Config, change: Partial<HardwareSection>): Config => ({
  ...config,
  sections: { ...config.sections, hardware: { ...hardwareSettings(config), ...change } },
});

/**
 * A message in a new shape, as a test needs it: the fixture deep-copied, then changed. Routing
 * key words are `primary.taskId.runId.workerGroup.workerId.provisionerId.workerType.…`.
 */
export function variant(
  base: PulseFixture,
  change: {
    exchange?: string;
    words?: Record<number, string>;
    edit?: (payload: PulseFixture['payload']) => void;
  },
): PulseFixture {
  const copy = structuredClone(base);
  if (change.exchange) copy.exchange = change.exchange;
  if (change.words) {
    const words = copy.routingKey.split('.');
    for (const [i, w] of Object.entries(change.words)) words[Number(i)] = w;
    copy.routingKey = words.join('.');
  }
  change.edit?.(copy.payload);
  return copy;
}

/**
 * The fixture's machine, in a later task (T2EheQ…) that ended at 2019-06-26T20:00:00Z in an
 * exception with `reason`.
 */
export function laterException(base: PulseFixture, reason: string): PulseFixture {
  return variant(base, {
    exchange: 'exchange/taskcluster-queue/v1/task-exception',
    words: { 1: 'T2EheQ-IQ5aPzw34KS_a6g' },
    edit: (p) => {
      p.status.taskId = 'T2EheQ-IQ5aPzw34KS_a6g';
      p.status.runs[0]!.reasonResolved = reason;
      p.status.runs[0]!.resolved = '2019-06-26T20:00:00.000Z';
    },
  });
}

/** The event the looper makes of the fixture with the pulse preset. */
export function pulseEvent(
  fixture: PulseFixture,
  content?: Buffer,
  now = new Date(),
): LoopabullEvent {
  const r = toEvent(
    {
      exchange: fixture.exchange,
      routingKey: fixture.routingKey,
      content: content ?? Buffer.from(JSON.stringify(fixture.payload)),
    },
    'pulse',
    { maxBytes: 1024 * 1024, now },
  );
  if (!r.ok) throw new Error(`fixture is not an event: ${r.detail}`);
  return r.event;
}

/**
 * A connection to a database of the shared Redis that only this test file uses: the `machines`
 * key is global, so data in database 0 is never touched. Emptied at the start and at the end.
 */
export async function testRedis(
  db: number,
): Promise<{ redis: Redis; url: string; close(): Promise<void> }> {
  const url = `redis://127.0.0.1:6379/${db}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  await redis.flushdb();
  return {
    redis,
    url,
    close: async () => {
      await redis.flushdb();
      await redis.quit();
    },
  };
}

/** What a worker would hand the handler, with the job log kept for assertions. */
export function handlerContext(redis: Redis, config: Config): HandlerContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger('hardware-test', 'error'),
    log: async (line) => {
      lines.push(line);
    },
    signal: new AbortController().signal,
    redis,
    publish: async () => undefined,
    config,
    job: { id: 'test', attempt: 1 },
    automation: () => {
      throw new Error('not in this test');
    },
  };
}

export { serveForTest as serve, type HttpAnswer } from '../../../test/support/http.js';
