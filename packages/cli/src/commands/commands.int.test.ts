/**
 * The everyday commands run in this process against a test queue on the machine's Redis (the
 * same commands as built and spawned are in test/e2e/cli*.test.ts): what they print, as JSON and
 * as text, and the exit codes they set.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import {
  ConfigError,
  createRedis,
  jobIdFor,
  openQueueServices,
  SHIPPED_PLAYBOOKS_DIR,
  type JobResult,
  type QueueServices,
} from '@loopabull/core';
import {
  cleanUpTest,
  localPlaybook,
  pulseEventOf,
  readFixture,
  removeTempDirs,
  runProgram,
  startCli,
  startRedis,
  testConfig,
  testEvent,
  writeAutomation,
  type PulseFixture,
  parkMessage,
} from '@test/support';

const config = testConfig({ overrides: { taskotron: { enabled: false } } });
let services: QueueServices;

beforeAll(async () => {
  services = await openQueueServices(config);
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.hello.yml',
    localPlaybook([{ 'ansible.builtin.debug': { msg: '{{ msg.greeting }}' } }]),
  );
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.broken.yml',
    localPlaybook([{ 'ansible.builtin.fail': { msg: 'broken on purpose' } }]),
  );
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.answer.mjs',
    'export default (event) => ({ answer: event.body.question.length });\n',
  );
});
afterAll(async () => {
  await services.close();
  await cleanUpTest(config);
  removeTempDirs();
});

describe('resolve', () => {
  it('names the file a topic runs and why, as text and as JSON', async () => {
    const text = await runProgram(config, ['resolve', 'org.example.hello']);
    expect(text.out).toMatch(/org\.example\.hello\.yml\n {2}playbook: /);
    const json = JSON.parse(
      (await runProgram(config, ['resolve', 'org.example.nothing', '--json'])).out,
    );
    expect(json).toMatchObject({ topic: 'org.example.nothing', found: null });
    expect(json.tried.length).toBeGreaterThan(0);
  });

  it('says what was tried for an unrouted topic, and refuses a topic that is not valid', async () => {
    const { out, exitCode } = await runProgram(config, ['resolve', 'org.example.nothing']);
    expect(out).toMatch(/^unrouted: no automation for org\.example\.nothing\n {2}tried: /);
    expect(exitCode).toBe(0);
    await expect(runProgram(config, ['resolve', '../etc/passwd'])).rejects.toThrow(ConfigError);
  });

  it('says a topic no binding matches is unbound, with what would run were it delivered', async () => {
    const unbound = testConfig({
      overrides: {
        bus: { bindings: [{ exchange: 'amq.direct', routing_key: 'org.example.other' }] },
        ansible: { playbooks_dir: config.ansible.playbooks_dir },
      },
    });
    const { out, exitCode } = await runProgram(unbound, ['resolve', 'org.example.hello']);
    expect(out).toMatch(
      /^unbound: bus\.bindings do not match org\.example\.hello \(org\.example\.other on amq\.direct\): its messages never reach the looper, nothing runs\n {2}if it were delivered: \S+org\.example\.hello\.yml\n {4}playbook: /,
    );
    expect(exitCode).toBe(0);
    const json = await runProgram(unbound, ['resolve', 'org.example.other', '--json']);
    expect(JSON.parse(json.out)).not.toHaveProperty('unbound');
    expect(
      JSON.parse((await runProgram(unbound, ['resolve', 'org.example.hello', '--json'])).out),
    ).toMatchObject({ found: { relative: 'org.example.hello.yml' }, unbound: true });
  });
});

describe('run', () => {
  it('--dry-run shows the file and the vars file it would get, and runs nothing', async () => {
    const { out, exitCode } = await runProgram(config, [
      'run',
      'org.example.hello',
      '--dry-run',
      '--body',
      '{"greeting": "{{ lookup(\'pipe\', \'id\') }}"}',
    ]);
    expect(exitCode).toBe(0);
    expect(out).toMatch(/^would run .*org\.example\.hello\.yml\n/);
    expect(out).toContain('with the vars file:');
    // Content stays data: marked unsafe for Jinja, never a template.
    expect(out).toContain('!unsafe');
  });

  it('runs a handler once and prints what it returned; an unrouted topic exits 1', async () => {
    const ran = await runProgram(config, [
      'run',
      'org.example.answer',
      '--body',
      '{"question": "why"}',
    ]);
    expect(ran.out).toMatch(/org\.example\.answer\.mjs: \w+ -> \{"answer":3\}\n$/);
    expect(ran.exitCode).toBe(0);
    const unrouted = await runProgram(config, ['run', 'org.example.nothing']);
    expect(unrouted.out).toMatch(/^unrouted: no automation for org\.example\.nothing/);
    expect(unrouted.exitCode).toBe(1);
    const asJson = await runProgram(config, ['run', 'org.example.nothing', '--json']);
    expect(JSON.parse(asJson.out)).toMatchObject({ resolution: { found: null } });
    expect(asJson.exitCode).toBe(1);
  });

  it('--json prints one object for a failed run too, with its exit code, and exits 1', async () => {
    const { out, exitCode } = await runProgram(config, ['run', 'org.example.broken', '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      resolution: { found: { relative: 'org.example.broken.yml' } },
      result: { outcome: 'failed', file: 'org.example.broken.yml', kind: 'playbook', exit_code: 2 },
    });
    expect(JSON.parse(out).result.error).toContain('broken on purpose');
  });

  it('hands the automation the event the looper would make: with pulse, the id from the body', async () => {
    const pulse = testConfig({
      overrides: { loglevel: 'error', bus: { preset: 'pulse' }, taskotron: { enabled: false } },
    });
    try {
      const topic = 'taskcluster-queue.v1.task-completed';
      writeAutomation(
        pulse.ansible.playbooks_dir,
        `${topic}.mjs`,
        'export default (e) => ({ id: e.id, exchange: e.exchange, routing_key: e.routing_key });\n',
      );
      const file = join(pulse.ansible.playbooks_dir, 'body.json');
      const captured = readFixture<PulseFixture>('pulse/task-completed.json');
      writeFileSync(file, JSON.stringify(captured.payload));
      const looper = pulseEventOf(captured, pulse.bus.max_bytes);
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const { out, exitCode } = await runProgram(pulse, ['run', topic, '--file', file, '--json']);
        expect(exitCode).toBe(0);
        runs.push(JSON.parse(out).result.value);
      }
      expect(runs[0]).toEqual({
        id: looper.id,
        exchange: captured.exchange,
        routing_key: captured.routingKey,
      });
      expect(runs[1]).toEqual(runs[0]);
    } finally {
      await cleanUpTest(pulse);
    }
  });

  it('refuses --body and --file together (a usage error), for run and publish', async () => {
    const file = join(config.ansible.playbooks_dir, 'body.json');
    writeFileSync(file, '{"from": "file"}');
    for (const command of ['run', 'publish'])
      await expect(
        runProgram(config, [command, 'org.example.answer', '--body', '{}', '--file', file]),
      ).rejects.toMatchObject({ code: 'commander.conflictingOption' });
  });

  it('refuses --routing-key unless the preset is pulse (a usage error), for run and publish', async () => {
    // With fedora-messaging the routing key is the topic: publish would send another topic.
    for (const command of ['run', 'publish']) {
      const err = await runProgram(config, [command, 'org.example.answer', '--routing-key', 'x'])
        .then(() => null)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(
        '--routing-key is for the pulse preset only: with bus.preset fedora-messaging the topic is the routing key',
      );
    }
  });

  it('refuses an --id or --routing-key that AMQP cannot carry: empty, or over 255 bytes', async () => {
    const refused = [
      ['publish', '--id', ''],
      ['publish', '--id', 'é'.repeat(128)],
      ['publish', '--routing-key', ''],
      ['publish', '--routing-key', 'k'.repeat(256)],
      ['run', '--routing-key', 'k'.repeat(256)],
    ];
    for (const [command, ...option] of refused)
      await expect(
        runProgram(config, [command!, 'org.example.answer', ...option]),
      ).rejects.toMatchObject({
        code: 'commander.invalidArgument',
        message: expect.stringContaining('expected 1 to 255 bytes'),
      });
  });
});

describe('the queue, its jobs, pause and resume', () => {
  beforeAll(async () => {
    await services.work.enqueue(testEvent('org.example.hello', { id: 'cmd-1' }));
    await services.work.enqueue(testEvent('org.example.hello', { id: 'cmd-2' }));
    await services.work.enqueue(testEvent('org.example.answer', { id: 'cmd-3' }));
  });

  it('queue counts the waiting jobs by topic, as JSON and as a table', async () => {
    const depth = JSON.parse((await runProgram(config, ['queue', '--json'])).out);
    expect(depth).toMatchObject({
      waiting: 3,
      by_topic: { 'org.example.hello': 2, 'org.example.answer': 1 },
    });
    const { out } = await runProgram(config, ['queue']);
    expect(out).toMatch(/waiting/);
    expect(out).toMatch(/\n\s*2\s+org\.example\.hello\n/);
  });

  it('jobs list shows the waiting jobs of a topic, newest first, up to --limit', async () => {
    const args = ['jobs', 'list', '--state', 'waiting', '--topic', 'org.example.hello'];
    const listed = JSON.parse((await runProgram(config, [...args, '--json'])).out) as Array<{
      topic: string;
      attempts: number;
      attempt: number;
    }>;
    expect(listed.map((j) => j.topic)).toEqual(['org.example.hello', 'org.example.hello']);
    // Waiting for its first try: none made, and the one to come is 1.
    expect(listed.map((j) => [j.attempts, j.attempt])).toEqual([
      [0, 1],
      [0, 1],
    ]);
    const limited = JSON.parse((await runProgram(config, [...args, '--limit', '1', '--json'])).out);
    expect(limited).toHaveLength(1);
    const table = (await runProgram(config, args)).out;
    expect(table.split('\n').filter((l) => l.includes('org.example.hello'))).toHaveLength(2);
  });

  it('jobs list refuses a --limit over the most it shows, naming it, rather than cut the list', async () => {
    const refused = [
      [['--limit', '201'], '--limit 201: jobs list shows at most 200 jobs at once'],
      [
        ['--state', 'parked', '--limit', '1001'],
        '--limit 1001: jobs list shows at most 1000 parked messages at once',
      ],
    ] as const;
    for (const [args, message] of refused) {
      const err = await runProgram(config, ['jobs', 'list', ...args])
        .then(() => null)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(message);
    }
    for (const args of [
      ['--limit', '200'],
      ['--state', 'parked', '--limit', '1000'],
    ])
      expect((await runProgram(config, ['jobs', 'list', ...args, '--json'])).exitCode).toBe(0);
  });

  it('jobs show, logs and remove find a job by the message id it was made from', async () => {
    // All digits: BullMQ cannot take it as a job id, so the job id is derived from it.
    await services.work.enqueue(testEvent('org.example.answer', { id: '4242' }));
    const shown = JSON.parse((await runProgram(config, ['jobs', 'show', '4242', '--json'])).out);
    expect(shown).toMatchObject({ id: jobIdFor('4242'), event: { id: '4242' } });
    // The body of GET /api/jobs/<id>/logs, as the other data commands print their route's.
    expect(JSON.parse((await runProgram(config, ['jobs', 'logs', '4242', '--json'])).out)).toEqual({
      logs: [],
    });
    expect((await runProgram(config, ['jobs', 'remove', '4242'])).out).toBe('removed 4242\n');
    expect(await services.work.queue.getJob(jobIdFor('4242'))).toBeUndefined();
  });

  it('pause and resume say what they did, and the queue shows it', async () => {
    expect((await runProgram(config, ['pause'])).out).toMatch(/^paused: /);
    expect(JSON.parse((await runProgram(config, ['queue', '--json'])).out).paused).toBe(true);
    expect((await runProgram(config, ['queue'])).out).toContain('PAUSED: loopabull resume');
    expect((await runProgram(config, ['resume'])).out).toMatch(/^resumed: /);
    expect(await services.work.isPaused()).toBe(false);
  });

  it('pause, resume, jobs retry and jobs remove take --json too', async () => {
    const json = async (...args: string[]) =>
      JSON.parse((await runProgram(config, [...args, '--json'])).out);
    expect(await json('pause')).toEqual({ paused: true });
    expect(await services.work.isPaused()).toBe(true);
    expect(await json('resume')).toEqual({ paused: false });
    expect(await json('jobs', 'retry', '--failed')).toEqual({ retried: 0 });
    await services.work.enqueue(testEvent('org.example.answer', { id: 'cmd-json' }));
    expect(await json('jobs', 'remove', 'cmd-json')).toEqual({ removed: 'cmd-json' });
  });
});

describe('the commands that only look', () => {
  it('write nothing to an empty Redis: no BullMQ meta key for a queue that did not exist', async () => {
    const redis = await startRedis();
    const empty = testConfig({
      overrides: { taskotron: { enabled: false }, redis: { url: redis.url } },
    });
    const client = createRedis(redis.url);
    const keys = () => client.keys('*');
    try {
      expect(await keys()).toEqual([]);
      for (const args of [
        ['queue'],
        ['queue', '--json'],
        ['jobs', 'list'],
        ['jobs', 'list', '--state', 'parked', '--json'],
        ['jobs', 'show', 'cmd-none', '--json'],
        ['jobs', 'logs', 'cmd-none'],
        ['resolve', 'org.example.hello'],
      ]) {
        // show and logs of a job that is not there fail, having looked.
        await runProgram(empty, args).catch(() => undefined);
        expect({ args, keys: await keys() }).toEqual({ args, keys: [] });
      }
      const watching = startCli(['queue', '--watch', '1', '--json', '-c', empty.configPath]);
      try {
        // One object a line (NDJSON), each with the time it was taken.
        await watching.waitForOutput(
          /^\{"time":"[^"]+","waiting":0,.*\}\n\{"time":"[^"]+","waiting":0,.*\}\n/m,
        );
      } finally {
        await watching.stop();
      }
      expect(await keys()).toEqual([]);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});

describe('jobs retry and show, by what became of the job', () => {
  /** Takes the next waiting job and ends it as a worker would: ran, unrouted or failed. */
  async function finishNext(end: 'ran' | 'unrouted' | 'failed'): Promise<string> {
    const connection = createRedis(config.redis.url);
    const worker = new Worker(config.queue.name, null, {
      connection,
      prefix: config.redis.prefix,
      autorun: false,
    });
    try {
      const token = randomUUID();
      const job = (await worker.getNextJob(token)) as Job;
      if (end === 'failed') {
        // Its last attempt: failed, not delayed for another.
        await job.moveToFailed(new UnrecoverableError('exit 2'), token, false);
      } else {
        const result: JobResult =
          end === 'ran' ? { outcome: 'ran', file: 'x.mjs' } : { outcome: 'unrouted' };
        await job.moveToCompleted(result, token, false);
        if (end === 'unrouted') await services.work.recordUnrouted(job.id!);
      }
      return job.id!;
    } finally {
      await worker.close();
      connection.disconnect();
    }
  }
  const stateOf = async (id: string) => (await services.work.queue.getJob(id))!.getState();

  beforeAll(async () => {
    // Empty the queue the block above filled, and hold off nothing: no worker runs here.
    await services.work.queue.obliterate({ force: true });
  });

  it('retry puts back a failed job and an unrouted one, which is no longer counted unrouted', async () => {
    await services.work.enqueue(testEvent('org.example.broken', { id: 'retry-failed' }));
    const failed = await finishNext('failed');
    await services.work.enqueue(testEvent('org.example.later', { id: 'retry-unrouted' }));
    const unrouted = await finishNext('unrouted');
    expect((await services.work.depth()).unrouted).toBe(1);

    expect((await runProgram(config, ['jobs', 'retry', failed])).out).toBe(
      `job ${failed} put back to run\n`,
    );
    // Its topic still has no automation: put back, with a word that it will end unrouted again.
    let err = '';
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    try {
      expect(
        JSON.parse((await runProgram(config, ['jobs', 'retry', unrouted, '--json'])).out),
      ).toEqual({ retried: 1, id: unrouted });
    } finally {
      stderr.mockRestore();
    }
    expect(err).toBe(
      `loopabull: topic org.example.later still has no automation in ${config.ansible.playbooks_dir} (looked for org.example.later.yml, org.example.later.yaml, org.example.later.ts, org.example.later.js, org.example.later.mjs): the job will end unrouted again\n`,
    );
    expect([await stateOf(failed), await stateOf(unrouted)]).toEqual(['waiting', 'waiting']);
    expect((await services.work.depth()).unrouted).toBe(0);
    await services.work.queue.obliterate({ force: true });
  });

  it('retry refuses a job that completed (exit 1, not a usage error) and leaves it', async () => {
    await services.work.enqueue(testEvent('org.example.answer', { id: 'retry-done' }));
    const done = await finishNext('ran');
    const refused = runProgram(config, ['jobs', 'retry', done]);
    await expect(refused).rejects.toThrow(
      `job ${done} completed: only failed and unrouted jobs are retried`,
    );
    await expect(refused).rejects.not.toBeInstanceOf(ConfigError);
    expect(await stateOf(done)).toBe('completed');
    await services.work.queue.obliterate({ force: true });
  });

  it('retry --help says which jobs it puts back', async () => {
    const { createProgram, shippedAutomations } = await import('@loopabull/cli');
    const program = await createProgram({ automations: shippedAutomations, argv: [] });
    const retry = program.commands
      .find((c) => c.name() === 'jobs')!
      .commands.find((c) => c.name() === 'retry')!;
    expect(retry.helpInformation()).toMatch(/failed or unrouted job/);
    expect(retry.helpInformation()).toMatch(/completed job is refused/);
  });

  it('show finds a parked message by the id jobs list --state parked prints, with --json', async () => {
    await parkMessage(services.parking, {
      detail: 'Unexpected token n in JSON at position 1',
      message_id: 'm-1',
      received_at: '2026-01-02T03:04:05.000Z',
    });
    const [listed] = JSON.parse(
      (await runProgram(config, ['jobs', 'list', '--state', 'parked', '--json'])).out,
    );
    const shown = JSON.parse((await runProgram(config, ['jobs', 'show', listed.id, '--json'])).out);
    expect(shown).toEqual({ ...listed, state: 'parked' });
    expect(shown).toMatchObject({ reason: 'not-json', body: '{nope', size: 5 });

    const text = (await runProgram(config, ['jobs', 'show', listed.id])).out;
    expect(text).toMatch(new RegExp(`^field\\s+value\\nid\\s+${listed.id}\\nstate\\s+parked\\n`));
    expect(text).toMatch(/\nreason\s+not-json\n/);
    expect(text).toMatch(/\ndetail\s+Unexpected token n in JSON at position 1\n/);
    expect(text).toContain('\nbody (5 bytes):\n{nope\n');
    await expect(runProgram(config, ['jobs', 'show', '1-1'])).rejects.toThrow('no job 1-1');
  });

  it('logs and retry of a parked message say it is one, and that it never ran (exit 1)', async () => {
    await parkMessage(services.parking, {
      message_id: 'm-2',
      received_at: '2026-01-02T03:04:06.000Z',
      content: Buffer.from('nope'),
    });
    const [listed] = JSON.parse(
      (await runProgram(config, ['jobs', 'list', '--state', 'parked', '--json'])).out,
    );
    for (const [cmd, what] of [
      ['logs', 'it has no log'],
      ['retry', 'it cannot be retried'],
    ] as const) {
      const err = await runProgram(config, ['jobs', cmd, listed.id]).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(ConfigError);
      expect(err!.message).toContain(`${listed.id} is a message the looper parked (not-json)`);
      expect(err!.message).toContain(what);
      expect(err!.message).not.toMatch(/^no job/);
    }
    // Still there, and still shown.
    expect(
      JSON.parse((await runProgram(config, ['jobs', 'show', listed.id, '--json'])).out),
    ).toMatchObject({ state: 'parked' });
  });
});

describe('doctor', () => {
  type Check = { name: string; ok: boolean; detail: string; fix?: string };
  const checks = async (c: typeof config) =>
    JSON.parse((await runProgram(c, ['doctor', '--json'])).out) as Check[];

  it('names the bound topics of an enabled automation that have no file in the playbooks directory, and how to copy the shipped ones', async () => {
    const exchange = `loopabull-test-${randomUUID()}`;
    const bound = testConfig({
      overrides: {
        taskotron: { enabled: false },
        bus: { bindings: [{ exchange, routing_key: 'slavealloc.slave.*' }] },
      },
    });
    try {
      writeAutomation(
        bound.ansible.playbooks_dir,
        'slavealloc.slave.enable.mjs',
        readFileSync(join(SHIPPED_PLAYBOOKS_DIR, 'slavealloc.slave.enable.mjs'), 'utf8'),
      );
      let found = await checks(bound);
      expect(found.find((c) => c.name === 'slavealloc files')).toEqual({
        name: 'slavealloc files',
        ok: false,
        detail: `1 of the topics it takes has no automation in ${bound.ansible.playbooks_dir}, so their jobs end unrouted: slavealloc.slave.disable`,
        fix: expect.stringContaining(
          `cd ${SHIPPED_PLAYBOOKS_DIR} && install -m 0644 slavealloc.slave.disable.mjs ${bound.ansible.playbooks_dir}/`,
        ),
      });
      // Its topics reach nothing here: nothing to copy.
      expect(found.find((c) => c.name === 'hardware files')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(/^none of its 4 topics is bound/),
      });
      // An operator's playbook of its own for the topic serves as well as the shipped file.
      writeAutomation(bound.ansible.playbooks_dir, 'slavealloc.slave.disable.yml', '- hosts: []\n');
      found = await checks(bound);
      expect(found.find((c) => c.name === 'slavealloc files')).toMatchObject({
        ok: true,
        detail: `each of the 2 topics it takes (bound, and its own) has an automation in ${bound.ansible.playbooks_dir}`,
      });
    } finally {
      await cleanUpTest(bound);
    }
  });

  it('on Pulse, takes the bound exchanges as the topics (hardware)', async () => {
    const pulse = testConfig({
      overrides: {
        taskotron: { enabled: false },
        slavealloc: { enabled: false },
        bus: {
          preset: 'pulse',
          bindings: [
            { exchange: 'exchange/taskcluster-queue/v1/task-completed', routing_key: 'primary.#' },
          ],
        },
      },
    });
    try {
      writeAutomation(pulse.ansible.playbooks_dir, 'unrelated.yml', '- hosts: []\n');
      expect((await checks(pulse)).find((c) => c.name === 'hardware files')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/: taskcluster-queue\.v1\.task-completed$/),
        fix: expect.stringContaining('install -m 0644 taskcluster-queue.v1.task-completed.mjs '),
      });
    } finally {
      await cleanUpTest(pulse);
    }
  });

  it('asks playbook_cmd for its version as a worker starts it: every word, with the environment a playbook gets', async () => {
    const wrapper = join(tmpdir(), `loopabull-test-${randomUUID()}.sh`);
    writeFileSync(wrapper, '#!/bin/sh\necho "wrapper $* config=$ANSIBLE_CONFIG"\n');
    chmodSync(wrapper, 0o755);
    const wrapped = testConfig({
      overrides: {
        taskotron: { enabled: false },
        ansible: { playbook_cmd: `${wrapper} -i my\\ hosts`, cfg_file_path: wrapper },
      },
    });
    try {
      expect((await checks(wrapped)).find((c) => c.name === 'ansible-playbook')).toEqual({
        name: 'ansible-playbook',
        ok: true,
        detail: `${wrapper} -i my\\ hosts: wrapper -i my hosts --version config=${wrapper}`,
      });
    } finally {
      rmSync(wrapper);
      await cleanUpTest(wrapped);
    }
  });

  it('lines up the details of its text output, however long the name of a check', async () => {
    const c = testConfig();
    try {
      const found = await checks(c);
      const width = Math.max(...found.map((check) => check.name.length));
      expect(width).toBe('taskotron database'.length);
      const lines = (await runProgram(c, ['doctor'])).out
        .split('\n')
        .filter((l) => /^(ok {2}|FAIL) /.test(l));
      // Every detail starts in the same column, one space past the longest name.
      expect(lines.map((l) => l.slice(5, 5 + width + 1))).toEqual(
        found.map((check) => check.name.padEnd(width + 1)),
      );
      expect(lines.map((l) => l.slice(5 + width + 1))).toEqual(found.map((check) => check.detail));
    } finally {
      await cleanUpTest(c);
    }
  });

  it('writes nothing to Redis: a queue that did not exist is not left with a BullMQ meta key', async () => {
    const fresh = testConfig({ overrides: { taskotron: { enabled: false } } });
    const redis = createRedis(fresh.redis.url);
    try {
      const mine = () => redis.keys(`${fresh.redis.prefix}:*`);
      expect(await mine()).toEqual([]);
      const { out } = await runProgram(fresh, ['doctor', '--json']);
      expect(JSON.parse(out)).toContainEqual(expect.objectContaining({ name: 'redis', ok: true }));
      expect(await mine()).toEqual([]);
    } finally {
      redis.disconnect();
      await cleanUpTest(fresh);
    }
  });

  it('fails the bus check on a bindings exchange that does not exist when exchanges are only checked', async () => {
    const missing = `exchange/loopabull-test/v1/missing-${randomUUID()}`;
    const pulse = testConfig({
      overrides: {
        taskotron: { enabled: false },
        bus: {
          preset: 'pulse',
          declare_exchanges: false,
          bindings: [{ exchange: missing, routing_key: 'primary.#' }],
        },
      },
    });
    try {
      const { out, exitCode } = await runProgram(pulse, ['doctor', '--json']);
      expect(exitCode).toBe(1);
      const checks = JSON.parse(out) as Array<{ name: string; ok: boolean; detail: string }>;
      expect(checks.find((c) => c.name === 'bus')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(new RegExp(`^exchange ${missing} does not exist`)),
        fix: expect.stringContaining('bus.declare_exchanges'),
      });
    } finally {
      await cleanUpTest(pulse);
    }
  });
});
