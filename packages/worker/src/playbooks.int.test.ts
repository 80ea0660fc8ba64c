import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { loopabullKeys } from '@loopabull/core';
import {
  removeTempDirs,
  tempDir,
  waitFor,
  localPlaybook,
  openTestQueue,
  processAlive,
  startPart,
  testConfig,
  undoAfterEach,
  writeAutomation,
} from '@test/support';
import { buildWorkerPackage, harness, makeEvent, type Harness } from '../test/harness.js';

let h: Harness | null = null;
/** Processes a playbook started that a failing test may have left: its worker cannot stop before them. */
let strays: number[] = [];
afterEach(async () => {
  for (const pid of strays.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  await h?.close();
  h = null;
});
beforeAll(() => buildWorkerPackage(), 60_000);
afterAll(() => removeTempDirs());

const writeJson = (what: string, dest: string) => ({
  'ansible.builtin.copy': { content: `{{ ${what} | to_json }}`, dest },
});

describe('worker running playbooks', () => {
  it("runs a batched topic's playbook once for several events, as msgs, each job tracked on its own", async () => {
    const out = tempDir('batch');
    h = await harness({
      workers: { concurrency: 3 },
      ansible: { batch: { 'org.example.burst': { max: 3, wait: 60 } } },
    });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'org.example.burst.yml',
      localPlaybook([
        writeJson('msgs', `${out}/msgs-{{ loopabull_msgs[0].job_id }}.json`),
        writeJson('loopabull_msgs', `${out}/meta-{{ loopabull_msgs[0].job_id }}.json`),
        { 'ansible.builtin.debug': { msg: 'ran {{ msgs | length }}' } },
      ]),
    );
    const attack = "{{ lookup('pipe','id') }}";
    const jobs = await Promise.all(
      [{ n: 1 }, { n: 2, text: attack }, { n: 3 }].map((b) => h!.add('org.example.burst', b)),
    );
    await h.startWorker();
    for (const job of jobs)
      expect(await h.finished(job)).toEqual({
        outcome: 'ran',
        file: 'org.example.burst.yml',
        kind: 'playbook',
        exit_code: 0,
      });
    // One run (the max was reached at once), named after the first job of the batch.
    const runs = readdirSync(out).filter((f) => f.startsWith('msgs-'));
    expect(runs).toHaveLength(1);
    const msgs = JSON.parse(readFileSync(join(out, runs[0]!), 'utf8')) as unknown[];
    expect(msgs).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2, text: attack }, { n: 3 }]));
    const meta = JSON.parse(
      readFileSync(join(out, runs[0]!.replace('msgs-', 'meta-')), 'utf8'),
    ) as Array<{
      job_id: string;
      topic: string;
      attempt: number;
    }>;
    expect(meta.map((m) => m.job_id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(meta.every((m) => m.topic === 'org.example.burst' && m.attempt === 1)).toBe(true);
    for (const job of jobs) expect(await h.logs(job)).toMatch(/"msg": "ran 3"/);
  });

  it('batches each topic folded to one playbook apart, by its own settings, never mixing them in msgs', async () => {
    const out = tempDir('fold-batch');
    const prod = 'org.fedoraproject.prod.buildsys.tag';
    const stg = 'org.fedoraproject.stg.buildsys.tag';
    h = await harness({
      workers: { concurrency: 10 },
      topics: { fold_prefixes: ['org.fedoraproject.prod.', 'org.fedoraproject.stg.'] },
      // Every batch fills to its own max at once; the wait is never reached.
      ansible: { batch: { [prod]: { max: 2, wait: 30 }, [stg]: { max: 3, wait: 30 } } },
    });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'buildsys.tag.yml',
      localPlaybook([
        {
          'ansible.builtin.copy': {
            content: `{{ {'topic': lookup('env', 'LOOPABULL_TOPIC'), 'msgs': msgs, 'topics': loopabull_msgs | map(attribute='topic') | list} | to_json }}`,
            dest: `${out}/run-{{ loopabull_msgs[0].job_id }}.json`,
          },
        },
      ]),
    );
    const jobs = [];
    for (const [topic, n] of [
      [stg, 's1'],
      [prod, 'p1'],
      [stg, 's2'],
      [prod, 'p2'],
      [stg, 's3'],
      [prod, 'p3'],
      [prod, 'p4'],
    ] as const)
      jobs.push(await h.add(topic, { n }));
    await h.startWorker();
    for (const job of jobs) expect(await h.finished(job)).toMatchObject({ exit_code: 0 });
    const runs = readdirSync(out).map(
      (f) =>
        JSON.parse(readFileSync(join(out, f), 'utf8')) as {
          topic: string;
          msgs: Array<{ n: string }>;
          topics: string[];
        },
    );
    // Each run holds one topic, the one it tells the playbook, in batches of that topic's max.
    const seen = runs
      .map((r) => ({ topic: r.topic, topics: r.topics, size: r.msgs.length }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
    expect(seen).toEqual([
      { topic: prod, topics: [prod, prod], size: 2 },
      { topic: prod, topics: [prod, prod], size: 2 },
      { topic: stg, topics: [stg, stg, stg], size: 3 },
    ]);
    const ran = runs.flatMap((r) => r.msgs.map((m) => m.n)).sort();
    expect(ran).toEqual(['p1', 'p2', 'p3', 'p4', 's1', 's2', 's3']);
  });

  it('runs the playbook named after the topic with the message as exact, untemplated data', async () => {
    const out = tempDir('run');
    writeFileSync(join(out, 'ansible.cfg'), '[defaults]\nlocalhost_warning = False\n');
    // The configured command is a wrapper that records how it was called, then runs the real one.
    const wrapper = join(out, 'ansible-wrapper');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}/args'\nenv | grep -E '^(LOOPABULL_(TOPIC|JOB_ID|WORKER_ID)=|ANSIBLE_CONFIG=)' | sort > '${out}/env'\nexec ansible-playbook "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    h = await harness(
      { ansible: { cfg_file_path: 'ansible.cfg', playbook_cmd: `${wrapper} --diff` } },
      out,
    );
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'org.example.build.done.yml',
      localPlaybook([
        writeJson('msg', `${out}/msg.json`),
        writeJson('loopabull', `${out}/meta.json`),
      ]),
    );
    const worker = await h.startWorker({ id: 'test-worker-1' });

    const pwned = `/tmp/loopabull-pwned-${randomBytes(6).toString('hex')}`;
    const attack = `{{ lookup('pipe','touch ${pwned}') }}`;
    const body = {
      text: attack,
      [attack]: [1, 2.5, null, true, 'x'],
      nasty: [
        'quote " backslash \\',
        'line\nbreak\ttab',
        'nul \u0000 del \u007f nel \u0085 ls \u2028',
        'émoji 😀',
        'yes',
        'null',
        '1e5',
        '{% raw %}',
      ],
      nested: { deep: [{ a: {} }, []] },
      big: 1e21,
      small: 1e-7,
    };
    const job = await h.add('org.example.build.done', body);
    const result = await h.finished(job);

    expect(result).toEqual({
      outcome: 'ran',
      file: 'org.example.build.done.yml',
      kind: 'playbook',
      exit_code: 0,
    });
    expect(JSON.parse(readFileSync(join(out, 'msg.json'), 'utf8'))).toEqual(body);
    expect(existsSync(pwned)).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'))).toEqual({
      topic: job.data.topic,
      id: job.data.id,
      headers: job.data.headers,
      exchange: 'amq.topic',
      routing_key: job.data.topic,
      sent_at: job.data.sent_at,
      received_at: job.data.received_at,
      job_id: job.id,
      attempt: 1,
    });

    const args = readFileSync(join(out, 'args'), 'utf8').trim().split('\n');
    expect(args.slice(0, 3)).toEqual([
      '--diff',
      join(h.config.ansible.playbooks_dir, 'org.example.build.done.yml'),
      '-e',
    ]);
    expect(args[3]).toMatch(/^@.*\/loopabull-vars-[^/]+\/vars\.yml$/);
    expect(existsSync(args[3]!.slice(1))).toBe(false);
    expect(readFileSync(join(out, 'env'), 'utf8').trim().split('\n')).toEqual([
      `ANSIBLE_CONFIG=${join(out, 'ansible.cfg')}`,
      `LOOPABULL_JOB_ID=${job.id}`,
      'LOOPABULL_TOPIC=org.example.build.done',
      `LOOPABULL_WORKER_ID=${worker.id}`,
    ]);

    const logs = await h.logs(job);
    expect(logs).toMatch(
      /running playbook org\.example\.build\.done\.yml .*attempt 1, worker test-worker-1/,
    );
    expect(logs).toMatch(/PLAY RECAP[\s\S]*ok=2/);
    await h.stopWorkers();
    expect(await h.counter('completed', 'org.example.build.done')).toBe(1);
  });

  it("hands a playbook the allowlisted environment and the job's variables, not the worker's secrets", async () => {
    const planted = {
      REDIS_URL: 'redis://:hunter2@127.0.0.1:6379',
      AMQP_URL: 'amqp://lb:hunter2@127.0.0.1',
      LOOPABULL_TOKEN: 'hunter2',
      DATABASE_PASSWORD: 'hunter2',
      LC_TIME: 'C.UTF-8',
      ANSIBLE_NOCOLOR: '1',
    };
    const before = { ...process.env };
    Object.assign(process.env, planted);
    try {
      const out = tempDir('env');
      h = await harness({
        ansible: { env_passthrough: ['PATH', 'LC_*', 'ANSIBLE_*', 'REDIS_URL'] },
      });
      const seen = [...Object.keys(planted), 'PATH', 'HOME', 'LOOPABULL_TOPIC', 'LOOPABULL_JOB_ID'];
      const lookups = seen.map((v) => `'${v}': lookup('ansible.builtin.env', '${v}')`).join(', ');
      writeAutomation(
        h.config.ansible.playbooks_dir,
        'org.example.env.yml',
        localPlaybook([
          {
            'ansible.builtin.copy': {
              content: `{{ {${lookups}} | to_json }}`,
              dest: `${out}/env.json`,
            },
          },
        ]),
      );
      await h.startWorker();
      const job = await h.add('org.example.env');
      await h.finished(job);
      expect(JSON.parse(readFileSync(join(out, 'env.json'), 'utf8'))).toEqual({
        // Listed, but Loopabull's own credentials never pass.
        REDIS_URL: '',
        AMQP_URL: '',
        LOOPABULL_TOKEN: '',
        DATABASE_PASSWORD: '',
        LC_TIME: 'C.UTF-8',
        ANSIBLE_NOCOLOR: '1',
        PATH: before.PATH,
        // Not in this list.
        HOME: '',
        LOOPABULL_TOPIC: 'org.example.env',
        LOOPABULL_JOB_ID: job.id,
      });
    } finally {
      for (const name of Object.keys(planted)) {
        if (before[name] === undefined) delete process.env[name];
        else process.env[name] = before[name];
      }
    }
  });

  it('a topic with no automation ends unrouted: counted, listed, not retried', async () => {
    h = await harness();
    await h.startWorker();
    const job = await h.add('nobody.listens');
    expect(await h.finished(job)).toEqual({ outcome: 'unrouted' });
    const done = await h.reload(job);
    expect(await done.getState()).toBe('completed');
    expect(done.attemptsStarted).toBe(1);
    expect(await h.redis.zscore(loopabullKeys(h.config).unrouted, job.id!)).not.toBeNull();
    await h.stopWorkers();
    expect(await h.counter('unrouted', 'nobody.listens')).toBe(1);
    expect(await h.counter('completed', 'nobody.listens')).toBe(0);
    expect(await h.logs(job)).toMatch(
      /no automation for topic nobody\.listens; tried nobody\.listens\.yml, .*nobody\.listens\.mjs/,
    );
  });

  it('a job with a topic that could name a path fails at once, before any file is looked at', async () => {
    h = await harness({ queue: { attempts: 5 } });
    await h.startWorker();
    const job = await h.work.queue.add(
      'x',
      { ...makeEvent('x'), topic: '../../etc/passwd' },
      { attempts: 5 },
    );
    await expect(h.finished(job)).rejects.toThrow(
      /^bad job: topic "..\/..\/etc\/passwd" must match/,
    );
    expect((await h.reload(job)).attemptsMade).toBe(1);
  });

  it('retries a failing playbook, then parks it with the exit code and the tail of its output', async () => {
    h = await harness({ queue: { attempts: 3 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'always.fails.yml',
      localPlaybook([{ 'ansible.builtin.fail': { msg: 'the build server is on fire' } }]),
    );
    await h.startWorker();
    const job = await h.add('always.fails');
    await expect(h.finished(job)).rejects.toThrow(/exited 2/);
    const failed = await h.reload(job);
    expect(await failed.getState()).toBe('failed');
    expect(failed.attemptsMade).toBe(3);
    expect(failed.failedReason).toMatch(
      /^ansible-playbook exited 2 \(playbook always\.fails\.yml\), one or more hosts failed:\n/,
    );
    expect(failed.failedReason).toMatch(/the build server is on fire[\s\S]*PLAY RECAP/);
    await h.stopWorkers();
    expect(await h.counter('retried', 'always.fails')).toBe(2);
    expect(await h.counter('failed', 'always.fails')).toBe(1);
  });

  it('logs a failure with the error line of ansible, not the colon that introduces its output', async () => {
    h = await harness({ queue: { attempts: 1 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'fails.loudly.yml',
      localPlaybook([{ 'ansible.builtin.fail': { msg: 'the build server is on fire' } }]),
    );
    const proc = await h.startWorkerProcess();
    await expect(h.finished(await h.add('fails.loudly'))).rejects.toThrow(/exited 2/);
    await waitFor(() => /job failed/.test(proc.output()));
    expect(proc.output()).toMatch(
      /job failed .*reason=ansible-playbook exited 2 \(playbook fails\.loudly\.yml\), one or more hosts failed: fatal: \[localhost\]: FAILED! .*the build server is on fire/,
    );
  });

  it('a playbook that does not parse fails at once', async () => {
    h = await harness({ queue: { attempts: 5 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'broken.yml',
      '- hosts: localhost\n  tasks: [\n',
    );
    await h.startWorker();
    const job = await h.add('broken');
    await expect(h.finished(job)).rejects.toThrow(/exited 4 .*parse error/);
    const failed = await h.reload(job);
    expect(failed.attemptsMade).toBe(1);
    expect(failed.failedReason).toMatch(/ERROR! We were unable to read/);
    await h.stopWorkers();
    expect(await h.counter('failed', 'broken')).toBe(1);
    expect(await h.counter('retried', 'broken')).toBe(0);
  });

  it('kills a playbook at its timeout together with the processes it started', async () => {
    // Long enough for ansible to start on a loaded machine; the playbook would sleep far longer.
    h = await harness({ queue: { attempts: 1 }, ansible: { timeout: 20 } });
    const [shellPid, childPid] = [join(h.config.dir, 'shell.pid'), join(h.config.dir, 'child.pid')];
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'hangs.yml',
      localPlaybook([
        {
          'ansible.builtin.shell': `echo $$ > ${shellPid}; sleep 3600 & echo $! > ${childPid}; wait`,
        },
      ]),
    );
    await h.startWorker();
    const job = await h.add('hangs');
    const outcome = h.finished(job);
    outcome.catch(() => undefined);
    const readPid = (file: string) =>
      waitFor(() => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0), {
        timeout: 60_000,
        what: `the playbook to write ${file}`,
      });
    const pids = [await readPid(shellPid), await readPid(childPid)];
    strays = pids;
    expect(pids.map(processAlive)).toEqual([true, true]);
    await expect(outcome).rejects.toThrow(/timed out after 20 s \(playbook hangs\.yml\)/);
    await waitFor(() => pids.every((pid) => !processAlive(pid)), {
      what: `the playbook's shell and its child (${pids.join(', ')}) to be gone`,
    });
  }, 120_000);

  it('uses a playbook dropped in while it runs, without a restart', async () => {
    h = await harness();
    await h.startWorker();
    expect(await h.finished(await h.add('brand.new'))).toEqual({ outcome: 'unrouted' });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'brand.new.yml',
      localPlaybook([{ 'ansible.builtin.debug': { msg: 'hello' } }]),
    );
    expect(await h.finished(await h.add('brand.new'))).toMatchObject({
      outcome: 'ran',
      file: 'brand.new.yml',
    });
  });

  it('finds playbooks in folders (rkdirectory) after folding a topic prefix', async () => {
    h = await harness({
      plugins: { translator: { name: 'rkdirectory' } },
      topics: { fold_prefixes: ['org.fedoraproject.stg.', 'org.fedoraproject.prod.'] },
    });
    const marker = join(h.config.dir, 'tagged');
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'buildsys/tag.yaml',
      localPlaybook([{ 'ansible.builtin.copy': { content: '{{ msg.tag }}', dest: marker } }]),
    );
    await h.startWorker();
    const result = await h.finished(
      await h.add('org.fedoraproject.prod.buildsys.tag', { tag: 'f41-updates' }),
    );
    expect(result).toMatchObject({ outcome: 'ran', file: 'buildsys/tag.yaml' });
    expect(readFileSync(marker, 'utf8')).toBe('f41-updates');
  });
});

describe('a worker whose ansible.playbook_cmd cannot be run', () => {
  const undo = undoAfterEach();
  const CANNOT_RUN = /error .*ansible\.playbook_cmd cannot be run/;

  /** `loopabull worker` with the command, once it takes jobs, and what it printed by then. */
  async function startedWith(playbookCmd: string): Promise<string> {
    const config = testConfig({ overrides: { ansible: { playbook_cmd: playbookCmd } } });
    await openTestQueue(config, undo);
    return (await startPart('worker', config, undo)).output();
  }

  it('says so at start, naming the command and why, and still starts', async () => {
    const dir = tempDir('playbook-cmd');
    const missing = join(dir, 'ansible-playbook');
    expect(await startedWith(`${missing} --diff`)).toMatch(
      new RegExp(
        `${CANNOT_RUN.source}.*playbook_cmd=.*${missing} --diff.*${missing} does not exist`,
      ),
    );
    const notExecutable = join(dir, 'wrapper');
    writeFileSync(notExecutable, '#!/bin/sh\nexec ansible-playbook "$@"\n');
    expect(await startedWith(notExecutable)).toMatch(
      new RegExp(`${CANNOT_RUN.source}.*${notExecutable} is not executable`),
    );
    expect(await startedWith('no-such-ansible-playbook')).toMatch(
      new RegExp(
        `${CANNOT_RUN.source}.*no-such-ansible-playbook is not an executable file on PATH`,
      ),
    );
  });

  it('says nothing of a command found on PATH or an executable wrapper', async () => {
    expect(await startedWith('ansible-playbook')).not.toMatch(CANNOT_RUN);
    const wrapper = join(tempDir('playbook-cmd'), 'wrapper');
    writeFileSync(wrapper, '#!/bin/sh\nexec ansible-playbook "$@"\n');
    chmodSync(wrapper, 0o755);
    expect(await startedWith(`${wrapper} --diff`)).not.toMatch(CANNOT_RUN);
  });
});
