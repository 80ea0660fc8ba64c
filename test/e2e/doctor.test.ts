/** `loopabull doctor` on the states of the bus an operator meets, through the real command. */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { openQueueServices, vhostAndUser } from '@loopabull/core';
import {
  cleanUpTest,
  removeTempDirs,
  runCli,
  startRedis,
  tempDir,
  testConfig,
} from '@test/support';

afterAll(removeTempDirs);

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function doctor(
  configPath: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; checks: Check[] }> {
  const r = await runCli(['doctor', '--json', '--config', configPath], { env });
  return { code: r.code, checks: JSON.parse(r.stdout) as Check[] };
}

const bus = (checks: Check[]) => checks.find((c) => c.name === 'bus')!;

describe('loopabull doctor, the bus', () => {
  it('says the looper has not declared the queue yet, without a stack trace (a 0.0.7 config before its first run)', async () => {
    const config = testConfig();
    try {
      const { checks } = await doctor(config.configPath);
      expect(bus(checks)).toMatchObject({
        ok: true,
        detail: expect.stringContaining(
          `queue ${config.bus.queue} does not exist yet (the looper declares it)`,
        ),
      });
    } finally {
      // Nothing of its own to remove: doctor writes nothing; this is for a run that went wrong.
      await cleanUpTest(config);
    }
  });

  it('fails on a queue that holds messages nobody consumes, and says how to get rid of it', async () => {
    const config = testConfig();
    const model = await amqp.connect(config.bus.url);
    try {
      const ch = await model.createConfirmChannel();
      await ch.assertQueue(config.bus.queue, { durable: true });
      ch.sendToQueue(config.bus.queue, Buffer.from('{}'));
      await ch.waitForConfirms();
      const { code, checks } = await doctor(config.configPath);
      expect(code).toBe(1);
      expect(bus(checks)).toMatchObject({
        ok: false,
        detail: `queue ${config.bus.queue} holds 1 messages and no looper consumes it`,
        // In its virtual host: rabbitmqctl's default, /, may hold another install's queue.
        fix: expect.stringContaining(
          `rabbitmqctl delete_queue -p ${vhostAndUser(config.bus.url).vhost} ${config.bus.queue}`,
        ),
      });
    } finally {
      await model.close();
      await cleanUpTest(config);
    }
  });

  it('fails on a Pulse exchange that does not exist when the looper only checks exchanges', async () => {
    const missing = `exchange/loopabull-test/v1/missing-${randomUUID()}`;
    const present = `exchange/loopabull-test/v1/present-${randomUUID()}`;
    const config = testConfig({
      overrides: {
        bus: {
          preset: 'pulse',
          declare_exchanges: false,
          bindings: [
            { exchange: present, routing_key: 'primary.#' },
            { exchange: missing, routing_key: 'primary.#' },
          ],
        },
      },
    });
    const model = await amqp.connect(config.bus.url);
    try {
      const ch = await model.createChannel();
      await ch.assertExchange(present, 'topic', { durable: false, autoDelete: false });
      const { code, checks } = await doctor(config.configPath);
      expect(code).toBe(1);
      expect(bus(checks)).toMatchObject({
        ok: false,
        detail: expect.stringMatching(new RegExp(`^exchange ${missing} does not exist`)),
        fix: expect.stringContaining('bus.declare_exchanges'),
      });
      await ch.deleteExchange(present);
    } finally {
      await model.close();
      await cleanUpTest(config);
    }
  });

  it("fails on a Pulse queue name that is not the user's, before connecting", async () => {
    const config = testConfig({
      overrides: {
        bus: {
          url: 'amqps://jdoe:secret@pulse.mozilla.org:5671/%2F',
          preset: 'pulse',
          queue: 'queue/PULSE_USER/releng-hardware',
        },
      },
    });
    try {
      const { code, checks } = await doctor(config.configPath);
      expect(code).toBe(1);
      expect(bus(checks)).toEqual({
        name: 'bus',
        ok: false,
        detail:
          'Pulse lets user "jdoe" use only queues named queue/jdoe/…, not queue/PULSE_USER/releng-hardware: the looper cannot declare it',
        fix: 'set bus.queue to queue/jdoe/<name>, e.g. queue/jdoe/releng-hardware',
      });
    } finally {
      await cleanUpTest(config, { amqpUrl: BROKER });
    }
  });
});

/** The shared broker as the test configs reach it by default, for cleaning up after a wrong URL. */
const BROKER = 'amqp://guest:guest@127.0.0.1:5672';

describe('loopabull doctor, a broker that refuses us', () => {
  it('says to correct the password, not to start RabbitMQ, when the login is refused', async () => {
    const config = testConfig({
      overrides: { bus: { url: 'amqp://guest:not-the-password@127.0.0.1:5672' } },
    });
    try {
      const { code, checks } = await doctor(config.configPath);
      expect(code).toBe(1);
      expect(bus(checks)).toMatchObject({
        ok: false,
        detail: expect.stringContaining('ACCESS-REFUSED'),
        fix: expect.stringMatching(
          /^correct the user and password in bus\.url \/ \$AMQP_URL \(now amqp:\/\/guest:\*\*\*@/,
        ),
      });
    } finally {
      await cleanUpTest(config, { amqpUrl: BROKER });
    }
  });

  it('says how to create a virtual host that does not exist', async () => {
    const config = testConfig({
      overrides: { bus: { url: 'amqp://guest:guest@127.0.0.1:5672/loopabull-no-such-vhost' } },
    });
    try {
      const { checks } = await doctor(config.configPath);
      expect(bus(checks)).toMatchObject({
        ok: false,
        fix: expect.stringContaining('rabbitmqctl add_vhost loopabull-no-such-vhost'),
      });
    } finally {
      await cleanUpTest(config, { amqpUrl: BROKER });
    }
  });
});

describe('loopabull doctor, a URL that does not fit its server', () => {
  it('says to use amqp:// when amqps:// names the plain AMQP port, not to start RabbitMQ', async () => {
    const config = testConfig({
      overrides: { bus: { url: 'amqps://guest:guest@127.0.0.1:5672' } },
    });
    try {
      const { checks } = await doctor(config.configPath);
      expect(bus(checks)).toMatchObject({
        ok: false,
        detail: expect.stringContaining(
          'the port does not speak TLS (OpenSSL: wrong version number)',
        ),
        fix: expect.stringMatching(/^use amqp:\/\/ for a port that speaks plain AMQP/),
      });
    } finally {
      await cleanUpTest(config, { amqpUrl: BROKER });
    }
  });

  it('says to put the password in redis.url when Redis asks for one, and to pick a database it has', async () => {
    const redis = await startRedis();
    // The checks are pointed at it by $REDIS_URL; the config's own Redis is left to cleanUpTest.
    const config = testConfig();
    try {
      const redisCheck = async (url: string) =>
        (await doctor(config.configPath, { REDIS_URL: url })).checks.find(
          (c) => c.name === 'redis',
        );
      expect(await redisCheck(`${redis.url}/99`)).toMatchObject({
        ok: false,
        fix: expect.stringMatching(/^end redis\.url with a database number under that setting/),
      });
      await redis.configure({ requirepass: 's3cret' });
      for (const url of [redis.url, redis.url.replace('//', '//:wrong@')])
        expect(await redisCheck(url)).toMatchObject({
          ok: false,
          detail: expect.stringMatching(/NOAUTH|WRONGPASS/),
          fix: expect.stringMatching(/^put the password in redis\.url or \$REDIS_URL/),
        });
      expect(await redisCheck(redis.url.replace('//', '//:s3cret@'))).toMatchObject({ ok: true });
    } finally {
      await redis.stop();
      await cleanUpTest(config);
    }
  });

  it('says to create a database that does not exist on its server, or to start a server that refuses', async () => {
    const cases = [
      [
        'postgresql://postgres@127.0.0.1/loopabull_no_such_db',
        /^create the database loopabull_no_such_db \(createdb loopabull_no_such_db\)/,
      ],
      [
        'mysql://root@127.0.0.1/loopabull_no_such_db',
        /^create the database loopabull_no_such_db \(CREATE DATABASE loopabull_no_such_db\)/,
      ],
      ['postgresql://postgres@127.0.0.1:1/test', /^start the PostgreSQL server on 127\.0\.0\.1:1/],
    ] as const;
    for (const [url, fix] of cases) {
      const config = testConfig({ overrides: { database: { url } } });
      try {
        const { checks } = await doctor(config.configPath);
        expect(checks.find((c) => c.name === 'slavealloc')).toMatchObject({
          ok: false,
          fix: expect.stringMatching(fix),
        });
      } finally {
        await cleanUpTest(config);
      }
    }
  });
});

describe('loopabull doctor, the automations', () => {
  it('checks slavealloc and taskotron on the one default SQLite file at once, without locking each other out', async () => {
    const config = testConfig();
    try {
      expect(config.database.url).toBe('sqlite:///loopabull.db');
      const { checks } = await doctor(config.configPath);
      for (const name of ['slavealloc', 'taskotron database'])
        expect(checks.find((c) => c.name === name)).toMatchObject({ ok: true });
    } finally {
      await cleanUpTest(config);
    }
  });
});

describe('loopabull doctor, the automations', () => {
  it('makes nothing it checks: no SQLite file, no artifacts directory (run as root, they would be root’s)', async () => {
    const config = testConfig();
    const dir = dirname(config.configPath);
    try {
      const { checks } = await doctor(config.configPath);
      const database = `the SQLite database ${join(dir, 'loopabull.db')} does not exist yet`;
      for (const name of ['slavealloc', 'taskotron database'])
        expect(checks.find((c) => c.name === name)).toMatchObject({
          ok: true,
          detail: expect.stringContaining(database),
        });
      expect(existsSync(join(dir, 'loopabull.db'))).toBe(false);
      expect(existsSync(join(dir, 'var'))).toBe(false);
    } finally {
      await cleanUpTest(config);
    }
  });
});

describe('loopabull doctor, files the config names', () => {
  it('says to correct a bus.tls file or ansible.cfg that cannot be read, in words', async () => {
    const dir = tempDir('doctor-files');
    const [ca, cfg] = [join(dir, 'missing-ca.pem'), join(dir, 'missing-ansible.cfg')];
    const config = testConfig({
      dir,
      overrides: {
        bus: { url: 'amqps://guest:guest@127.0.0.1:5671', tls: { ca_cert: ca } },
        ansible: { cfg_file_path: cfg },
      },
    });
    try {
      const { code, checks } = await doctor(config.configPath);
      const named = checks.filter((c) => c.name === 'bus' || c.name === 'ansible.cfg');
      expect({ code, named }).toEqual({
        code: 1,
        named: [
          // Not "start RabbitMQ": the broker was not asked.
          {
            name: 'bus',
            ok: false,
            detail: `bus.tls.ca_cert in ${config.configPath}: ${ca} cannot be read: it does not exist`,
            fix: "correct the path, or let the services' user read the file",
          },
          {
            name: 'ansible.cfg',
            ok: false,
            detail: `${cfg} cannot be read: it does not exist`,
            fix: `create ${cfg} or unset ansible.cfg_file_path`,
          },
        ],
      });
    } finally {
      await cleanUpTest(config, { amqpUrl: BROKER });
    }
  });
});

describe('loopabull doctor, the playbooks directory', () => {
  it('counts only what a topic can run: not a node_modules linked in for handlers, not _lib helpers, not subfolders with rkname', async () => {
    const config = testConfig();
    const dir = config.ansible.playbooks_dir;
    for (const sub of ['node_modules/@loopabull/core/dist', '_lib', 'old'])
      mkdirSync(join(dir, sub), { recursive: true });
    for (const file of [
      'org.example.one.yml',
      'org.example.two.mjs',
      'node_modules/@loopabull/core/dist/index.js',
      '_lib/helpers.mjs',
      'old/org.example.three.yml',
    ])
      writeFileSync(join(dir, file), '');
    try {
      const { checks } = await doctor(config.configPath);
      expect(checks.find((c) => c.name === 'playbooks')).toMatchObject({
        ok: true,
        detail: `${dir}: 2 automations`,
      });
    } finally {
      await cleanUpTest(config);
    }
  });
  it('says in words that the directory does not exist, and how to fix it', async () => {
    const config = testConfig();
    const dir = join(config.dir, 'missing');
    try {
      const { code, checks } = await doctor(config.configPath, { LOOPABULL_PLAYBOOKS_DIR: dir });
      expect(code).toBe(1);
      expect(checks.find((c) => c.name === 'playbooks')).toEqual({
        name: 'playbooks',
        ok: false,
        detail: `${dir} does not exist`,
        fix: `create ${dir} or set ansible.playbooks_dir / $LOOPABULL_PLAYBOOKS_DIR`,
      });
    } finally {
      await cleanUpTest(config);
    }
  });
});

describe('loopabull doctor, a paused queue', () => {
  it('says to resume it, not to start Redis', async () => {
    const config = testConfig();
    const services = await openQueueServices(config);
    try {
      await services.work.pause();
      const { code, checks } = await doctor(config.configPath);
      expect(code).toBe(1);
      expect(checks.find((c) => c.name === 'redis')).toEqual({
        name: 'redis',
        ok: false,
        detail: 'the queue is paused: workers take no new jobs',
        fix: 'run `loopabull resume` (or POST /api/resume) once the maintenance is over',
      });
    } finally {
      await services.close();
      await cleanUpTest(config);
    }
  });
});

/** doctor's exit code and its ansible-playbook check, with these `ansible` settings. */
async function ansibleCheck(
  ansible: Record<string, unknown>,
): Promise<{ code: number | null; check: Check | undefined }> {
  const config = testConfig({ overrides: { ansible } });
  try {
    const { code, checks } = await doctor(config.configPath);
    return { code, check: checks.find((c) => c.name === 'ansible-playbook') };
  } finally {
    await cleanUpTest(config);
  }
}

describe('loopabull doctor, ansible.playbook_cmd', () => {
  it('names a wrapper that is not installed, and says to install it rather than ansible-core', async () => {
    const { code, check } = await ansibleCheck({ playbook_cmd: '/usr/bin/rbac-playbook -v' });
    expect(code).toBe(1);
    expect(check).toEqual({
      name: 'ansible-playbook',
      ok: false,
      detail: 'ansible.playbook_cmd: /usr/bin/rbac-playbook does not exist',
      fix:
        'install /usr/bin/rbac-playbook (ansible.playbook_cmd names it) or set ansible.playbook_cmd, ' +
        'whose default ansible-playbook comes with ansible-core',
    });
  });

  it("gives ansible's own reason, not install advice, when ansible-playbook is there but does not start", async () => {
    const cfg = join(tempDir('doctor'), 'broken.cfg');
    writeFileSync(cfg, '[defaults\ninventory = /x\n');
    expect((await ansibleCheck({ cfg_file_path: cfg })).check).toEqual({
      name: 'ansible-playbook',
      ok: false,
      detail: expect.stringMatching(
        new RegExp(
          `^ansible-playbook --version \\(exit \\d+\\): ERROR.*${cfg}.*no section headers`,
        ),
      ),
      fix: expect.stringMatching(/^it is installed but does not start: mend what its error names/),
    });
  });

  it('says to name the right command, not to install it, when the file is there but cannot run', async () => {
    const file = join(tempDir('doctor'), 'not-a-command');
    writeFileSync(file, 'ansible-playbook\n');
    expect((await ansibleCheck({ playbook_cmd: file })).check).toEqual({
      name: 'ansible-playbook',
      ok: false,
      detail: `ansible.playbook_cmd: ${file} is not executable`,
      fix: 'set ansible.playbook_cmd to the command that runs playbooks, or make that file executable',
    });
  });
});
