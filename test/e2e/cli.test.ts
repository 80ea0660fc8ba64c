import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { openQueueServices } from '@loopabull/core';
import {
  CLI,
  cleanUpTest,
  closedPort,
  freePort,
  isolatedEnv,
  readFixture,
  releaseClosedPorts,
  removeTempDirs,
  runCli,
  startCli,
  tempDir,
  testConfig,
  testEvent,
} from '@test/support';

afterAll(async () => {
  removeTempDirs();
  await releaseClosedPorts();
});

const event = (id: string, topic: string) => testEvent(topic, { id });

describe('configuration errors', () => {
  const dir = tempDir('cli');
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['an unknown key', 'bus:\n  prefetchh: 5\n', /bus\.prefetchh/],
    ['a wrong type', 'workers:\n  concurrency: lots\n', /workers\.concurrency/],
    ['a bad enum value', 'bus:\n  preset: zeromq\n', /bus\.preset/],
  ])('exit 2 and name the key for %s, before connecting', async (_what, text, key) => {
    const path = write(`bad-${Math.random()}.yml`, text);
    // Unreachable services prove nothing connected before the error.
    const res = await runCli(['queue', '--config', path], {
      env: { REDIS_URL: 'redis://127.0.0.1:1', AMQP_URL: 'amqp://127.0.0.1:1' },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(key);
    expect(res.stderr).toContain(path);
  });

  it.each([['looper'], ['worker'], ['serve'], ['queue']])(
    '%s: exit 2 for a Redis database number Redis does not have, instead of using database 0',
    async (command) => {
      const res = await runCli([command], { env: { REDIS_URL: 'redis://127.0.0.1:6379/99' } });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(
        /redis\.url redis:\/\/127\.0\.0\.1:6379\/99 selects a database this Redis does not have/,
      );
    },
  );

  // The looper and `queue` never open the database, and worker and serve used to find out only
  // when an automation opened it: every command now refuses it with the rest of the file.
  it.each([['queue'], ['looper'], ['worker'], ['serve']])(
    '%s: exit 2 for a database.url that is none of the accepted forms, before connecting, without its password',
    async (command) => {
      const path = write(`db-${command}.yml`, 'database: { url: "oracle://lb:s3cr3t@db/x" }\n');
      const res = await runCli([command, '-c', path], {
        env: { REDIS_URL: 'redis://127.0.0.1:1', AMQP_URL: 'amqp://127.0.0.1:1' },
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`invalid configuration in ${path}`);
      expect(res.stderr).toMatch(
        /- database\.url: database URL oracle:\/\/lb:\*\*\*@db\/x is not supported\. Accepted forms: sqlite:/,
      );
      expect(res.stderr).not.toContain('s3cr3t');
    },
  );

  it('exit 2 for a --config and no command, saying what to type, without starting anything', async () => {
    const path = write('no-command.yml', 'loglevel: info\n');
    for (const args of [['-c', path], ['--config', path], [`--config=${path}`]]) {
      // Unreachable services: a looper or worker started would fail otherwise, exit 1.
      const res = await runCli(args, {
        env: { REDIS_URL: 'redis://127.0.0.1:1', AMQP_URL: 'amqp://127.0.0.1:1' },
      });
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(res.stderr).toBe(
        `loopabull: ${args.join(' ')} names a configuration but no command: type \`loopabull ${args.join(' ')} COMMAND\` ` +
          `(\`loopabull --help\` lists them), or \`loopabull ${path}\` to run it as Loopabull 0.0.7 did ` +
          '(a looper and a worker in one process)\n',
      );
    }
  });

  it('exit 2 for a config file that does not exist', async () => {
    const res = await runCli(['doctor', '--config', join(dir, 'missing.yml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/missing\.yml does not exist/);
  });

  // These used to exit 1 with Node's bare ENOENT, and dbload and dbinit had created and
  // migrated the database before they looked for the file.
  it.each([
    ['replay', (f: string) => ['replay', f]],
    ['taskotron replay', (f: string) => ['taskotron', 'replay', f]],
    ['slavealloc dbload', (f: string) => ['slavealloc', 'dbload', f]],
    ['slavealloc dbinit', (f: string) => ['slavealloc', 'dbinit', f]],
    ['slavealloc dbimport', (f: string) => ['slavealloc', 'dbimport', '--slave-data', f]],
  ])(
    '%s: exit 2 for a file that does not exist, naming it, before anything is touched',
    async (name, args) => {
      const db = join(dir, `${name.replace(' ', '-')}.db`);
      const path = write(
        `files-${name.replace(' ', '-')}.yml`,
        `database: { url: "sqlite:///${db}" }\n`,
      );
      const missing = join(dir, 'missing-input.json');
      const res = await runCli([...args(missing), '-c', path], {
        env: { REDIS_URL: 'redis://127.0.0.1:1', AMQP_URL: 'amqp://127.0.0.1:1' },
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(
        new RegExp(`^loopabull: (--slave-data )?${missing} cannot be read: ENOENT`, 'm'),
      );
      expect(existsSync(db)).toBe(false);
    },
  );

  it.each([['looper'], ['publish', 'loopabull.test.tls']])(
    '%s: exit 2 naming the key and the file for a bus.tls file that cannot be read',
    async (...args) => {
      const missing = join(dir, 'missing-ca.pem');
      const path = write(
        'tls-missing.yml',
        `bus: { url: "amqps://127.0.0.1:5671", tls: { ca_cert: "${missing}" } }\n`,
      );
      // Redis unreachable: the looper does not wait for it to report the file.
      const res = await runCli([...args, '-c', path], {
        env: { REDIS_URL: 'redis://127.0.0.1:1' },
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(
        `loopabull: bus.tls.ca_cert in ${path}: ${missing} cannot be read: it does not exist\n`,
      );
    },
  );

  it("exit 2 for a disabled automation's command, naming the automation and its setting", async () => {
    const path = write('hardware-off.yml', 'hardware: { enabled: false }\n');
    for (const args of [
      ['machines', 'list', '-c', path],
      ['-c', path, 'machines'],
      ['help', 'machines', '-c', path],
    ]) {
      const res = await runCli(args);
      expect({ args, code: res.code, stdout: res.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(res.stderr).toBe(
        `loopabull: \`machines\` is a command of the hardware automation, which is disabled in ${path}: ` +
          'set hardware.enabled: true there to use it (docs/configuration.md)\n',
      );
    }
  });

  it('exit 2 for usage errors, with help on how to ask for help', async () => {
    const res = await runCli(['jobs', 'list', '--state', 'sleeping']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/sleeping[\s\S]*--help/);
  });

  it('exit 1, naming Redis, when Redis does not answer', async () => {
    const res = await runCli(['queue', '--json'], {
      env: { LOOPABULL_CONFIG: '', REDIS_URL: 'redis://:pw@127.0.0.1:1' },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  });
});

describe('loopabull queue --json', () => {
  it('reports waiting jobs, per topic, and the age of the oldest', async () => {
    const config = testConfig();
    const services = await openQueueServices(config);
    try {
      for (const [i, topic] of ['a.one', 'a.one', 'a.one', 'b.two'].entries())
        await services.work.enqueue(event(`q${i}`, topic));
      await services.work.enqueue(event('q0', 'a.one')); // the same message again: still one job
      const res = await runCli(['queue', '--json', '--config', config.configPath]);
      expect(res.code).toBe(0);
      const depth = JSON.parse(res.stdout);
      expect(depth).toMatchObject({
        waiting: 4,
        active: 0,
        delayed: 0,
        failed: 0,
        completed: 0,
        unrouted: 0,
        by_topic: { 'a.one': 3, 'b.two': 1 },
      });
      expect(typeof depth.oldest_waiting_seconds).toBe('number');
      expect(depth.oldest_waiting_seconds).toBeGreaterThanOrEqual(0);

      const table = await runCli(['queue', '--config', config.configPath]);
      expect(table.stdout).toMatch(/3\s+a\.one/);

      // `loopabull --config F queue`: the config may come before the command too.
      const first = await runCli(['--config', config.configPath, 'queue', '--json']);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ waiting: 4 });
    } finally {
      await services.close();
      await cleanUpTest(config);
    }
  });
});

describe('output into a reader that stops early', () => {
  it('exits 0 without a stack trace when the pipe closes (loopabull queue | true)', async () => {
    const config = testConfig();
    try {
      const { stdout, stderr } = await promisify(execFile)(
        'bash',
        [
          '-c',
          `"${process.execPath}" "${CLI}" queue --config "${config.configPath}" | true; echo "exit \${PIPESTATUS[0]}"`,
        ],
        { env: isolatedEnv() },
      );
      expect(stderr).not.toMatch(/EPIPE|Error/);
      expect(stdout).toBe('exit 0\n');
    } finally {
      await cleanUpTest(config);
    }
  });
});

describe('--help', () => {
  it('lists every command of the spec', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    for (const cmd of [
      'looper',
      'worker',
      'serve',
      'up',
      'queue',
      'jobs',
      'publish',
      'replay',
      'resolve',
      'run',
      'pause',
      'resume',
      'doctor',
      'machines',
    ]) {
      expect(res.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
    // The program has no options of its own to show it: say that every command takes it.
    expect(res.stdout).toContain(
      'Every command takes -c/--config PATH, after the command or before it',
    );
  });
});

describe('command groups', () => {
  it('say in --help that their subcommands take --config, and pass one given to the group on', async () => {
    for (const group of ['jobs', 'machines', 'slavealloc', 'taskotron']) {
      const help = await runCli([group, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Every subcommand takes -c/--config PATH');
    }
    const config = testConfig();
    try {
      const res = await runCli(['jobs', '-c', config.configPath, 'list', '--json']);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual([]);
      // Whose file it read: a missing one named there is exit 2, not ignored.
      const missing = await runCli(['jobs', '--config', '/nonexistent.yml', 'list']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('/nonexistent.yml does not exist');
    } finally {
      await cleanUpTest(config);
    }
  });
});

describe('loopabull run', () => {
  it('runs a shipped automation handed on by its playbook file, as a worker would', async () => {
    const other = readFixture<{ payload: unknown }>('pulse/task-running-other-provisioner.json');
    const config = testConfig({
      overrides: {
        ansible: { playbooks_dir: new URL('../../playbooks', import.meta.url).pathname },
      },
    });
    const res = await runCli([
      'run',
      'taskcluster-queue.v1.task-running',
      '--json',
      '--body',
      JSON.stringify(other.payload),
      '--config',
      config.configPath,
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).result).toMatchObject({
      outcome: 'ran',
      value: { ignored: 'provisioner aws-provisioner-v1' },
    });
  });
});

describe('loopabull serve', () => {
  it('serve started while Redis refuses connections listens at once and says why it answers 503', async () => {
    const [redisPort, httpPort] = [await closedPort(), await freePort()];
    const serve = startCli(['serve'], {
      env: {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        LOOPABULL_HTTP_PORT: String(httpPort),
      },
    });
    try {
      await serve.waitForOutput(/Redis is unreachable.*ECONNREFUSED/);
      expect(serve.output()).toMatch(new RegExp(`listening on http://127.0.0.1:${httpPort}`));
      expect((await fetch(`http://127.0.0.1:${httpPort}/api/queue`)).status).toBe(503);
    } finally {
      await serve.stop();
    }
  });
});
