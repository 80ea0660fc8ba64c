import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { COMMAND_INPUT_MAX_BYTES, ConfigError } from '@loopabull/core/cli';
import { closedPort, releaseClosedPorts, removeTempDirs, testConfig } from '@test/support';
import {
  commandEnv,
  handlerContext,
  preloadFixture,
  pulseEvent,
  pulseFixture,
  testRedis,
  laterException,
} from '../test/helpers.js';
import { machinesCommand } from './cli.js';
import { hardwareHandler } from './handler.js';

let redis: Redis;
let close: () => Promise<void>;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  let url: string;
  ({ redis, close, url } = await testRedis());
  config = testConfig({ overrides: { redis: { url } } });
});
beforeEach(() => redis.flushdb());
afterAll(async () => {
  await close();
  removeTempDirs();
  await releaseClosedPorts();
});

/** Runs `loopabull machines <args>` with the test's config, the given stdin, and stdout captured. */
async function machines(args: string[], stdin = ''): Promise<string> {
  let out = '';
  const cmd = machinesCommand(commandEnv(config.dir), {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: { write: (t: string) => (out += t) },
  });
  await cmd.parseAsync([...args, '-c', config.configPath], { from: 'user' });
  return out;
}

const readme = JSON.stringify(preloadFixture());
const completed = pulseFixture('task-completed');

describe('machines preload', () => {
  it('loads the /machines format from stdin and reports what it did', async () => {
    expect(await machines(['preload'], readme)).toBe(
      '1 new, 0 updated, 0 skipped (stored time as new or newer), 0 invalid\n',
    );
    expect(await redis.hgetall('machines')).toEqual({
      'mdc1:t-linux64-ms-100': '2018-11-08T08:47:50.939514',
    });
    const mixed = JSON.stringify([
      { machine: 't-linux64-ms-100', datacenter: 'mdc1', lastseen: '2018-11-01T00:00:00.000000' },
      { machine: 't-linux64-ms-101', datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50.939514' },
      { machine: 't-linux64-ms-102', datacenter: 'mdc1' },
    ]);
    expect(JSON.parse(await machines(['preload', '--json'], mixed))).toEqual({
      new: 1,
      updated: 0,
      skipped: 1,
      invalid: 1,
      rejected: [{ index: 2, reason: 'lastseen is missing' }],
    });
    expect(await redis.hget('machines', 'mdc1:t-linux64-ms-100')).toBe(
      '2018-11-08T08:47:50.939514',
    );
  });

  it('says which entries were invalid and why', async () => {
    // JSON.stringify escapes the control character in the reason; shown, not obeyed, either way.
    const bad = JSON.stringify([
      ...preloadFixture(),
      { machine: 'evil\u001b[2J', datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50' },
      ...Array.from({ length: 11 }, () => 'nope'),
    ]);
    expect(await machines(['preload'], bad)).toBe(
      '1 new, 0 updated, 0 skipped (stored time as new or newer), 12 invalid\n' +
        '  entry 1: machine "evil\\u001b[2J" is not 1 to 128 characters of A-Z a-z 0-9 _ . -\n' +
        Array.from({ length: 9 }, (_, i) => `  entry ${i + 2}: "nope" is not an object\n`).join(
          '',
        ) +
        '  and 2 more (--json lists up to 100)\n',
    );
  });

  it('says a missing field is missing, and shows a bad one, skipping both', async () => {
    const bad = JSON.stringify([
      { machine: 't-linux64-ms-100', datacenter: 'mdc1' },
      { machine: 't-linux64-ms-101', datacenter: 'mdc1', lastseen: 'yesterday' },
      { machine: 't-linux64-ms-102', lastseen: '2018-11-08T08:47:50' },
      { datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50' },
      ...preloadFixture(),
    ]);
    expect(await machines(['preload'], bad)).toBe(
      '1 new, 0 updated, 0 skipped (stored time as new or newer), 4 invalid\n' +
        '  entry 0: lastseen is missing\n' +
        '  entry 1: lastseen "yesterday" is not a timestamp\n' +
        '  entry 2: datacenter is missing\n' +
        '  entry 3: machine is missing\n',
    );
  });

  it('refuses input that is not a JSON array as a usage error', async () => {
    await expect(machines(['preload'], '{nope')).rejects.toThrow(ConfigError);
    await expect(machines(['preload'], '{"machine": "x"}')).rejects.toThrow(/JSON array/);
    expect(await redis.exists('machines')).toBe(0);
  });

  it('refuses standard input without end once past what a command reads, storing nothing', async () => {
    const chunk = Buffer.alloc(1 << 20, ' ');
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += chunk.length;
        this.push(chunk);
      },
    });
    const cmd = machinesCommand(commandEnv(config.dir), {
      stdin: endless,
      stdout: { write: () => true },
    });
    await expect(
      cmd.parseAsync(['preload', '-c', config.configPath], { from: 'user' }),
    ).rejects.toThrow(
      new ConfigError('standard input is over 256 MiB, the most a command reads: split it'),
    );
    expect(sent).toBeLessThan(COMMAND_INPUT_MAX_BYTES + 32 * chunk.length);
    expect(await redis.exists('machines')).toBe(0);
  });
});

describe('machines list and show', () => {
  beforeEach(async () => {
    await machines(['preload'], readme);
    await hardwareHandler(pulseEvent(completed), handlerContext(redis, config));
    const gone = laterException(completed, 'worker-shutdown');
    await hardwareHandler(pulseEvent(gone), handlerContext(redis, config));
  });

  it('prints a table by datacenter with stale machines marked', async () => {
    const out = await machines(['list']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^DATACENTER\s+MACHINE\s+LASTSEEN \(UTC\)\s+SINCE\s+LAST STATE\s+LAST EXCEPTION$/,
    );
    expect(lines[1]).toMatch(
      /^mdc1\s+t-linux64-ms-100\s+2018-11-08T08:47:50\.939514\s+\d+d( \d+h)? ago\s+STALE\s+-\s+-$/,
    );
    expect(lines[2]).toMatch(
      /^mdc2\s+t-mojave-r7-153\s+2019-06-26T19:36:10\.521000\s+.* ago\s+STALE\s+exception\s+worker-shutdown \(2019-06-26T20:00:00\.000000\)$/,
    );
    expect(lines[3]).toBe('2 machines, 2 not seen alive for 6h or more');
  });

  it('filters and prints JSON', async () => {
    const json = JSON.parse(
      await machines(['list', '--datacenter', 'mdc2', '--stale', '2d', '--json']),
    );
    expect(json).toMatchObject({
      stale_after_seconds: 172800,
      count: 1,
      machines: [
        { id: 'mdc2:t-mojave-r7-153', stale: true, counts: { completed: 1, exception: 1 } },
      ],
    });
    expect(JSON.parse(await machines(['list', '--stale', '1000w', '--json'])).count).toBe(0);
    await expect(machines(['list', '--stale', 'soon'])).rejects.toThrow(ConfigError);
    await expect(machines(['list', '--stale', '99999999999999999999w'])).rejects.toThrow(
      new ConfigError('--stale "99999999999999999999w" is over the limit of 36500d'),
    );
    // As the API answers ?datacenter=a:b 400: no machine can be in such a datacenter.
    await expect(machines(['list', '--datacenter', 'a:b'])).rejects.toThrow(
      new ConfigError('--datacenter "a:b" is not a datacenter id'),
    );
  });

  it('shows one machine with its exceptions', async () => {
    const out = await machines(['show', 'mdc2:t-mojave-r7-153']);
    expect(out).toContain('machine         mdc2:t-mojave-r7-153\n');
    expect(out).toContain('last exception  worker-shutdown at 2019-06-26T20:00:00.000000\n');
    expect(out).toContain('counts          running 0, completed 1, failed 0, exception 1\n');
    expect(out).toMatch(
      /exceptions \(latest first\):\nAT \(UTC\)\s+REASON\s+TASK\s+WORKER TYPE\s+ALIVE\n2019-06-26T20:00:00\.000000\s+worker-shutdown\s+T2EheQ-IQ5aPzw34KS_a6g\/0\s+gecko-t-osx-1014\s+no\n/,
    );
    const json = JSON.parse(await machines(['show', 'mdc1:t-linux64-ms-100', '--json']));
    expect(json).toMatchObject({
      id: 'mdc1:t-linux64-ms-100',
      lastseen: '2018-11-08T08:47:50.939514',
      last_state: null,
      exceptions: [],
    });
  });

  it('fails on an unknown machine, and on a malformed id as a usage error', async () => {
    const unknown = machines(['show', 'mdc9:nobody']);
    await expect(unknown).rejects.toThrow('unknown machine mdc9:nobody');
    await expect(unknown).rejects.not.toBeInstanceOf(ConfigError);
    for (const bad of ['nobody', 'mdc1:', ':host'])
      await expect(machines(['show', bad])).rejects.toThrow(ConfigError);
  });

  it('shows an entry whose hostname has a colon, split at the first one as the API does', async () => {
    // The original's preload_redis.py and listener wrote any field; /machines lists it as a:b:c.
    await redis.hset('machines', 'a:b:c', '2018-11-08T08:47:50.939514');
    expect(await machines(['show', 'a:b:c'])).toMatch(
      /^machine {9}a:b:c\ndatacenter {6}a\nhostname {8}b:c\nlastseen {8}2018-11-08T08:47:50\.939514 UTC/,
    );
    expect(JSON.parse(await machines(['show', 'a:b:c', '--json']))).toMatchObject({
      id: 'a:b:c',
      datacenter: 'a',
      machine: 'b:c',
      lastseen: '2018-11-08T08:47:50.939514',
    });
    await expect(machines(['show', 'a:b:nobody'])).rejects.toThrow('unknown machine a:b:nobody');
  });

  it('escapes control characters stored by other programs, as list does', async () => {
    // preload_redis.py wrote any lastseen: a terminal escape must be shown, not obeyed.
    await redis.hset('machines', 'mdc1:t-linux64-ms-100', '\x1b[2J\x1b]0;owned\x07');
    const out = await machines(['show', 'mdc1:t-linux64-ms-100']);
    expect(out).toContain('lastseen        \\x1b[2J\\x1b]0;owned\\x07 UTC (never alive) STALE\n');
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('\x07');
    expect(await machines(['list'])).toContain('\\x1b[2J');
  });
});

describe('machines command', () => {
  it('says when Redis cannot be reached, without its password', async () => {
    const port = await closedPort();
    const down = testConfig({
      overrides: { redis: { url: `redis://:secret@127.0.0.1:${port}/8` } },
    });
    const cmd = machinesCommand(commandEnv(down.dir), { stdout: { write: () => true } });
    const run = cmd.parseAsync(['list', '-c', down.configPath], { from: 'user' });
    await expect(run).rejects.toThrow(
      `cannot reach Redis at redis://:***@127.0.0.1:${port}/8: connect ECONNREFUSED`,
    );
  });

  it('documents every subcommand and option', () => {
    const cmd = machinesCommand(commandEnv(config.dir));
    expect(cmd.commands.map((c) => c.name())).toEqual(['list', 'show', 'preload']);
    const help = Object.fromEntries(cmd.commands.map((c) => [c.name(), c.helpInformation()]));
    for (const text of Object.values(help)) expect(text).toContain('-c, --config <path>');
    expect(help.list).toMatch(/--datacenter <dc>[\s\S]*--stale <duration>[\s\S]*--json/);
    expect(help.show).toContain('<machine>');
    expect(help.preload).toContain('GET /machines format');
  });
});
