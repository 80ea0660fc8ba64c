/**
 * `loopabull machines preload` input, on a private Redis: any list is counted entry by entry
 * (new, updated, skipped or invalid) and only well-formed machines are written; anything that
 * is not a list is a usage error that names what was wrong.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '@loopabull/core';
import { hardware, machinesCommand } from '@loopabull/hardware';
import {
  nastyJson,
  nastyString,
  removeTempDirs,
  startRedis,
  testConfig,
  tried,
  tryAll,
  type RedisInstance,
} from '@test/support';

let server: RedisInstance;
let redis: Redis;
let configPath: string;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  ({ configPath } = testConfig({ overrides: { redis: { url: server.url } } }));
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
  removeTempDirs();
});

/** `machines preload` in process, with the given standard input; resolves with its output. */
async function preload(input: string): Promise<string> {
  let out = '';
  const cmd = machinesCommand(
    { loadConfig: (o) => loadConfig({ path: o.config, env: {}, automations: [hardware] }) },
    { stdin: Readable.from([Buffer.from(input)]), stdout: { write: (t: string) => (out += t) } },
  );
  cmd.exitOverride();
  await cmd.parseAsync(['preload', '--json', '-c', configPath], { from: 'user' });
  return out;
}

const LASTSEEN = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

describe('machines preload', () => {
  it('counts every entry of any list and writes only well-formed machines', async () => {
    const entry = fc.oneof(
      nastyJson,
      fc.record({
        machine: fc.oneof(nastyString, fc.constantFrom('t-linux64-ms-100', 'host.example')),
        datacenter: fc.oneof(nastyString, fc.constantFrom('mdc1', 'mdc2')),
        lastseen: fc.oneof(
          nastyString,
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '')),
        ),
      }),
    );
    await tryAll(
      'machines preload entries',
      fc.array(entry, { maxLength: 8 }),
      async (entries) => {
        const counts = JSON.parse(await preload(JSON.stringify(entries))) as Record<string, number>;
        expect(counts.new! + counts.updated! + counts.skipped! + counts.invalid!).toBe(
          entries.length,
        );
        for (const [id, lastseen] of Object.entries(await redis.hgetall('machines'))) {
          expect(id).toMatch(/^[^:]+:.+$/);
          expect(lastseen).toMatch(LASTSEEN);
        }
      },
      100,
    );
  });

  it.each([
    ['not JSON', '{"machine": ', /standard input is not JSON/],
    ['not a list', '{"machine": "a"}', /must be a JSON array/],
    ['a number', '1e999', /must be a JSON array/],
    ['empty input', '', /standard input is not JSON/],
  ])('%s is a usage error saying what was wrong', async (_what, input, message) => {
    const run = preload(input);
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(message);
    tried('machines preload documents', 1);
  });
});
