/** Shared by the hardware tests (outside src/, so neither compiled nor collected as a test). */
import { readFileSync } from 'node:fs';
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
import { exampleConfig as loadExample, FIXTURES, startRedis } from '@test/support';
import { MachineStore } from '../src/machine-store.js';
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

/** The shipped example configuration, with Redis pointed at the test's database if given. */
export const exampleConfig = (redisUrl?: string): Config =>
  loadExample('releng-hardware.yml', redisUrl ? { REDIS_URL: redisUrl } : {});

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
 * A private redis-server for one test file, and a connection to it: the hardware store's keys
 * (`machines`, `hardware:*`) are global names, so a test must never write them on the shared
 * Redis, where another test run or a real deployment may keep its own.
 */
export async function testRedis(): Promise<{ redis: Redis; url: string; close(): Promise<void> }> {
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  return {
    redis,
    url: server.url,
    close: async () => {
      await redis.quit();
      await server.stop();
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

export { serveForTest as serve, type HttpAnswer } from '@test/support';

/**
 * What the store holds for a machine, without `age_seconds`: that is computed from the clock at
 * each read, so two reads a second apart differ although nothing was written.
 */
export async function storedMachine(redis: Redis, id: string): Promise<unknown> {
  const machine = await new MachineStore(redis).get(id);
  if (!machine) return machine;
  return { ...machine, age_seconds: undefined };
}
