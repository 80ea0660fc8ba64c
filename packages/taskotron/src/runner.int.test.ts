import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { PermanentError } from '@loopabull/core';
import { localPlaybook, removeTempDirs, tempDir, testConfig } from '@test/support';
import { CHECK_FILES } from './check-layout.js';
import type { RunnerJob } from './job.js';
import { CheckNotFoundError, runCheck, type CheckRun } from './runner.js';
import { SHIPPED_TASKS_DIR } from './section.js';

afterAll(() => removeTempDirs());

/** A check of one playbook, as most are: its artifacts are `<uuid>/tests.yml/`, as checkb's. */
const PLAYBOOK = 'tests.yml';
/** A file the playbook `tests.yml` left in its artifacts directory. */
const left = (report: { artifacts: string }, file: string) =>
  readFileSync(join(report.artifacts, PLAYBOOK, file), 'utf8');

const config = testConfig({ automations: [] });
let n = 0;
const job = (over: Partial<RunnerJob> = {}): RunnerJob => ({
  item: 'ansible-1.8.3-1.el7',
  item_type: 'koji_build',
  taskname: 'check',
  arch: 'noarch',
  uuid: `job-${process.pid}-${++n}`,
  ...over,
});

/** A check in a fresh tasks directory whose playbook runs `tasks`. */
function check(tasks: unknown[]): string {
  const dir = join(tempDir('tasks'), 'check');
  mkdirSync(dir);
  writeFileSync(join(dir, PLAYBOOK), localPlaybook(tasks));
  return dir;
}
const writes = (file: string, content: string) => ({
  'ansible.builtin.copy': { dest: `{{ artifacts }}/${file}`, content },
});
const run = (over: Partial<CheckRun> & Pick<CheckRun, 'taskDir'>) =>
  runCheck({
    job: job(),
    artifactsDir: tempDir('artifacts'),
    config,
    timeout: 300,
    supportedArches: ['x86_64', 'armhfp'],
    owner: 'j1',
    ...over,
  });

describe('runCheck', () => {
  it('runs the shipped name-lint on a Koji build: PASSED, with its log artifact and the ansible log kept', async () => {
    const report = await run({ taskDir: join(SHIPPED_TASKS_DIR, 'name-lint') });
    expect(report.status).toEqual({ execution_status: 'OK', status: '1 PASSED' });
    expect(report.results).toEqual([
      expect.objectContaining({
        item: 'ansible-1.8.3-1.el7',
        type: 'koji_build',
        checkname: 'dist.name-lint',
        outcome: 'PASSED',
        artifact: 'tests.yml/name-lint.log',
        keyvals: { arch: 'noarch', package: 'ansible' },
      }),
    ]);
    expect(left(report, 'name-lint.log')).toMatch(/name: ansible/);
    expect(left(report, CHECK_FILES.log)).toMatch(/PLAY RECAP/);
    // A var named `name` made Ansible warn in every run's log.
    expect(left(report, CHECK_FILES.log)).not.toMatch(/reserved name/);
  });

  it('fails name-lint on a name Fedora does not allow, and never templates the item', async () => {
    // A file of this test's own: a name in /tmp is shared with every other run on the machine.
    const pwned = join(tempDir('pwned'), 'pwned-by-item');
    const item = `{{ lookup('pipe', 'touch ${pwned}') }}-1-1`;
    const report = await run({ taskDir: join(SHIPPED_TASKS_DIR, 'name-lint'), job: job({ item }) });
    expect(report.results).toEqual([
      expect.objectContaining({
        item,
        outcome: 'FAILED',
        note: expect.stringMatching(/not allow/),
      }),
    ]);
    expect(existsSync(pwned)).toBe(false);
  });

  it('runs the shipped always-info: INFO', async () => {
    const report = await run({ taskDir: join(SHIPPED_TASKS_DIR, 'always-info') });
    expect(report.status.status).toBe('1 INFO');
    expect(report.results[0]).toMatchObject({ outcome: 'INFO', checkname: 'dist.always-info' });
  });

  it('gives the playbook its vars and reads a results file that names an absolute artifact', async () => {
    const taskDir = check([
      writes(
        'vars.json',
        '{{ {"item": item, "item_type": item_type, "arch": arch, "uuid": uuid} | to_json }}',
      ),
      writes(
        'results.yml',
        'results:\n- {item: "{{ item }}", outcome: passed, artifact: "{{ artifacts }}/vars.json"}\n',
      ),
    ]);
    const j = job({ arch: 'x86_64' });
    const report = await run({ taskDir, job: j });
    expect(JSON.parse(left(report, 'vars.json'))).toEqual({
      item: j.item,
      item_type: j.item_type,
      arch: 'x86_64',
      uuid: j.uuid,
    });
    expect(report.results[0]).toMatchObject({ outcome: 'PASSED', artifact: 'tests.yml/vars.json' });
  });

  it('runs a Taskotron STI check as written: its taskotron_* vars, its results in taskotron/results.yml', async () => {
    const taskDir = check([
      { 'ansible.builtin.file': { path: '{{ artifacts }}/taskotron', state: 'directory' } },
      writes('arches.json', '{{ taskotron_supported_arches | to_json }}'),
      writes('binary-arches.json', '{{ taskotron_supported_binary_arches | to_json }}'),
      writes(
        'taskotron/results.yml',
        'results:\n- {item: "{{ taskotron_item }}", type: "{{ taskotron_item_type }}", ' +
          'checkname: dist.sti, outcome: FAILED, arch: "{{ taskotron_arch }}"}\n',
      ),
    ]);
    const j = job({ arch: 'x86_64' });
    const report = await run({ taskDir, job: j });
    expect(report.status.execution_status).toBe('OK');
    expect(report.results).toEqual([
      expect.objectContaining({
        item: j.item,
        type: 'koji_build',
        checkname: 'dist.sti',
        outcome: 'FAILED',
        keyvals: { arch: 'x86_64' },
      }),
    ]);
    expect(JSON.parse(left(report, 'arches.json'))).toEqual(['x86_64', 'armhfp']);
    // checkb's supported_binary_arches: the binary arches of each (arch_utils.Arches.binary).
    expect(JSON.parse(left(report, 'binary-arches.json'))).toEqual(['x86_64', 'armhfp', 'armv7hl']);
  });

  it("gives taskotron_supported_arches over the check's own fallback in its play vars", async () => {
    // As fedora-python/taskotron-python-versions' tests.yml: a fallback for local runs, which
    // libtaskotron's extra var overrode.
    const taskDir = check([
      writes('arches.json', '{{ taskotron_supported_arches | to_json }}'),
      writes('results.yml', 'results:\n- {item: x, outcome: INFO}\n'),
    ]);
    const [play] = yaml.load(readFileSync(join(taskDir, PLAYBOOK), 'utf8')) as [object];
    writeFileSync(
      join(taskDir, PLAYBOOK),
      yaml.dump([{ ...play, vars: { taskotron_supported_arches: ['x86_64'] } }]),
    );
    const report = await run({ taskDir, supportedArches: ['x86_64', 'aarch64'] });
    expect(report.status.execution_status).toBe('OK');
    expect(JSON.parse(left(report, 'arches.json'))).toEqual(['x86_64', 'aarch64']);
  });

  it('reads legacy TAP 13 results when there is no results.yml', async () => {
    const tap = [
      'TAP version 13',
      '1..1',
      'ok - rpmlint for Koji build x',
      '  ---',
      '  item: x-1-1',
      '  type: koji_build',
      '  outcome: PASSED',
      '  summary: fine',
      '  ...',
      '',
    ].join('\n');
    const report = await run({ taskDir: check([writes('results.tap', tap)]) });
    expect(report.status.execution_status).toBe('OK');
    expect(report.results[0]).toMatchObject({ item: 'x-1-1', outcome: 'PASSED', note: 'fine' });
  });

  it('reports NOT_OK when the playbook fails, keeping its log', async () => {
    const report = await run({
      taskDir: check([
        writes('results.yml', 'results: []'),
        { 'ansible.builtin.fail': { msg: 'boom' } },
      ]),
    });
    expect(report.status).toEqual({
      execution_status: 'NOT_OK',
      status: 'the playbook exited with 2',
    });
    expect(report.results).toEqual([]);
    expect(left(report, CHECK_FILES.log)).toMatch(/boom/);
  });

  it('reports NOT_OK when the check writes malformed results, naming the file and the problem', async () => {
    const report = await run({
      taskDir: check([writes('results.yml', 'results:\n- {item: x, outcome: SPLENDID}\n')]),
    });
    expect(report.status.execution_status).toBe('NOT_OK');
    expect(report.status.status).toMatch(/^malformed results: results.yml: .*SPLENDID/);
    expect(report.results).toEqual([]);
  });

  it('reports NOT_OK when the check writes no results', async () => {
    const report = await run({ taskDir: check([{ 'ansible.builtin.debug': { msg: 'hi' } }]) });
    expect(report.status).toEqual({
      execution_status: 'NOT_OK',
      status: "Results file doesn't exist, assuming the task crashed",
    });
  });

  it('refuses a uuid whose directory belongs to another job, and reruns a retry of the same job', async () => {
    const artifactsDir = tempDir('artifacts');
    const taskDir = check([writes('results.yml', 'results: [{item: x, outcome: INFO}]')]);
    const j = job();
    const first = await run({ taskDir, artifactsDir, job: j, owner: 'job-1' });
    writeFileSync(join(first.artifacts, 'stale.txt'), 'from the first try');
    await expect(run({ taskDir, artifactsDir, job: j, owner: 'job-2' })).rejects.toThrow(
      new PermanentError(
        `Multiple jobs with same UUID detected: ${first.artifacts} exists and belongs to job job-1`,
      ),
    );
    const retry = await run({ taskDir, artifactsDir, job: j, owner: 'job-1' });
    expect(retry.status.execution_status).toBe('OK');
    expect(existsSync(join(retry.artifacts, 'stale.txt'))).toBe(false);
  });

  describe('a check of several tests*.yml playbooks, as checkb ran them', () => {
    /** A check in a fresh tasks directory with these playbooks (file name -> tasks). */
    function checkOf(playbooks: Record<string, unknown[]>): string {
      const dir = join(tempDir('tasks'), 'check');
      mkdirSync(dir);
      for (const [name, tasks] of Object.entries(playbooks))
        writeFileSync(join(dir, name), localPlaybook(tasks));
      return dir;
    }
    const result = (checkname: string, outcome: string, artifact: string) =>
      writes(
        'results.yml',
        `results:\n- {item: "{{ item }}", checkname: ${checkname}, outcome: ${outcome}, artifact: "${artifact}"}\n`,
      );

    it('runs each in name order in its own artifacts directory, with its own results and log, and reports them all', async () => {
      const taskDir = checkOf({
        'tests.yml': [writes('a.log', 'a'), result('dist.a', 'PASSED', 'a.log')],
        'tests_b.yml': [
          writes('b.log', '{{ artifacts }}'),
          result('dist.b', 'INFO', '{{ artifacts }}/b.log'),
        ],
        'other.yml': [{ 'ansible.builtin.fail': { msg: 'not a test playbook' } }],
        'Tests_c.yml': [{ 'ansible.builtin.fail': { msg: 'fnmatch is case-sensitive' } }],
      });
      const lines: string[] = [];
      const report = await run({ taskDir, onLine: (l) => lines.push(l) });
      expect(report.status).toEqual({ execution_status: 'OK', status: '1 PASSED, 1 INFO' });
      expect(report.results).toEqual([
        expect.objectContaining({
          checkname: 'dist.a',
          outcome: 'PASSED',
          artifact: 'tests.yml/a.log',
        }),
        expect.objectContaining({
          checkname: 'dist.b',
          outcome: 'INFO',
          artifact: 'tests_b.yml/b.log',
        }),
      ]);
      // Each playbook's `artifacts` is its own directory, each has its own log.
      expect(readFileSync(join(report.artifacts, 'tests_b.yml', 'b.log'), 'utf8')).toBe(
        join(report.artifacts, 'tests_b.yml'),
      );
      for (const playbook of ['tests.yml', 'tests_b.yml'])
        expect(readFileSync(join(report.artifacts, playbook, CHECK_FILES.log), 'utf8')).toMatch(
          /PLAY RECAP/,
        );
      expect(
        readdirSync(report.artifacts)
          .filter((f) => !f.startsWith('.'))
          .sort(),
      ).toEqual(['tests.yml', 'tests_b.yml']);
      expect(lines.join('\n')).not.toMatch(/not a test playbook|case-sensitive/);
    });

    it('is NOT_OK when one crashes, naming it, and still reports the results of the others', async () => {
      const taskDir = checkOf({
        'tests.yml': [result('dist.a', 'FAILED', 'a.log')],
        'tests_crash.yml': [{ 'ansible.builtin.fail': { msg: 'boom' } }],
        'tests_silent.yml': [{ 'ansible.builtin.debug': { msg: 'no results' } }],
      });
      const report = await run({ taskDir });
      expect(report.status).toEqual({
        execution_status: 'NOT_OK',
        status:
          'tests.yml: 1 FAILED; tests_crash.yml: the playbook exited with 2; ' +
          "tests_silent.yml: Results file doesn't exist, assuming the task crashed",
      });
      expect(report.results).toEqual([
        expect.objectContaining({
          checkname: 'dist.a',
          outcome: 'FAILED',
          artifact: 'tests.yml/a.log',
        }),
      ]);
      expect(
        readFileSync(join(report.artifacts, 'tests_crash.yml', CHECK_FILES.log), 'utf8'),
      ).toMatch(/boom/);
    });

    it('shares the check time limit among them: after one times out, the rest do not run', async () => {
      const taskDir = checkOf({
        'tests.yml': [{ 'ansible.builtin.command': 'sleep 30' }],
        'tests_z.yml': [result('dist.z', 'PASSED', 'z.log')],
      });
      const report = await run({ taskDir, timeout: 2 });
      expect(report.status).toEqual({
        execution_status: 'NOT_OK',
        status: 'tests.yml: the playbook timed out after 2 s; not run (no time left): tests_z.yml',
      });
      expect(report.results).toEqual([]);
      expect(existsSync(join(report.artifacts, 'tests_z.yml'))).toBe(false);
    }, 30_000);
  });

  it('says so when the check does not exist, before making any directory', async () => {
    const artifactsDir = tempDir('artifacts');
    const nope = join(artifactsDir, 'nope');
    const missing = run({ taskDir: nope, artifactsDir });
    await expect(missing).rejects.toThrow(CheckNotFoundError);
    await expect(missing).rejects.toThrow(`no check in ${nope}: no such directory`);
    // A directory with playbooks, none of them tests*.yml: no check either.
    const taskDir = join(tempDir('tasks'), 'check');
    mkdirSync(taskDir);
    writeFileSync(join(taskDir, 'runtask.yml'), '[]');
    await expect(run({ taskDir, artifactsDir })).rejects.toThrow(
      `no check in ${taskDir}: it has no tests*.yml playbook`,
    );
    expect(readdirSync(artifactsDir)).toEqual([]);
  });
});
