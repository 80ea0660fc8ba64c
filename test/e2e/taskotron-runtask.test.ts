/**
 * `loopabull taskotron runtask`, the built command as an operator runs it: the shipped checks,
 * real ansible-playbook, results reported to the built-in ResultsDB (SQLite beside the config).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { createLogger, type Config } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { ResultsStore, SHIPPED_TASKS_DIR, taskotron } from '@loopabull/taskotron';
import {
  cleanUpTest,
  localPlaybook,
  removeTempDirs,
  runCli,
  tempDir,
  testConfig,
} from '@test/support';

const configs: Config[] = [];
afterAll(async () => {
  for (const config of configs) await cleanUpTest(config);
  removeTempDirs();
});

const ITEM = 'ansible-1.8.3-1.el7';
const NAME_LINT = join(SHIPPED_TASKS_DIR, 'name-lint');

function setup(taskotronSection: Record<string, unknown> = {}) {
  const config = testConfig({
    overrides: { loglevel: 'error', taskotron: taskotronSection },
    automations: [taskotron],
  });
  configs.push(config);
  const runtask = (...args: string[]) =>
    runCli(['taskotron', 'runtask', '-c', config.configPath, ...args]);
  return { config, runtask };
}

describe('loopabull taskotron runtask', () => {
  it('runs name-lint on a Koji build, prints its results, reports them, and exits 0', async () => {
    const { config, runtask } = setup();
    const run = await runtask('-i', ITEM, '-t', 'koji_build', NAME_LINT);
    expect(run.stderr).toMatch(/^OK: 1 PASSED \(uuid (\d{8}_\d{6}_\d{6}), artifacts .*\)$/m);
    expect(run.code).toBe(0);
    const uuid = /\(uuid (\S+),/.exec(run.stderr)![1]!;
    expect(yaml.load(run.stdout)).toEqual({
      results: [
        expect.objectContaining({ item: ITEM, outcome: 'PASSED', checkname: 'dist.name-lint' }),
      ],
    });
    const db = await Database.open(config.database.url, {
      baseDir: config.dir,
      logger: createLogger('test', 'error'),
    });
    try {
      const store = await ResultsStore.open(db);
      expect((await store.list({ data: [] }, { page: 0, limit: 10 })).rows).toEqual([
        expect.objectContaining({
          outcome: 'PASSED',
          testcase: expect.objectContaining({ name: 'dist.name-lint' }),
          groups: [uuid],
          ref_url: `http://127.0.0.1:8080/artifacts/${uuid}/tests.yml/name-lint.log`,
        }),
      ]);
    } finally {
      await db.close();
    }
  });

  it('exits 100 for a FAILED result; --no-report stores nothing; the artifacts stay', async () => {
    const { config, runtask } = setup();
    const run = await runtask(
      '-i',
      'bad name!-1-1',
      '-t',
      'koji_build',
      '--uuid',
      'u-100',
      '--no-report',
      NAME_LINT,
    );
    expect(run.code).toBe(100);
    expect(yaml.load(run.stdout)).toMatchObject({ results: [{ outcome: 'FAILED' }] });
    expect(existsSync(join(config.dir, 'loopabull.db'))).toBe(false);
    // checkb's layout: the job's directory, and in it one per playbook.
    const artifacts = join(config.dir, 'var', 'artifacts', 'u-100', 'tests.yml');
    expect(readFileSync(join(artifacts, 'name-lint.log'), 'utf8')).toMatch(/outcome: FAILED/);
    expect(readFileSync(join(artifacts, 'taskotron.log'), 'utf8')).toMatch(/PLAY RECAP/);

    const again = await runtask('-i', ITEM, '-t', 'koji_build', '--uuid', 'u-100', NAME_LINT);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /Multiple jobs with same UUID detected: .*u-100 exists and belongs to job runtask-\w+: give another --uuid/,
    );
  });

  it('--json prints one object: the status, exit code, artifacts, results and what was reported', async () => {
    const { runtask } = setup();
    // As Taskotron's buildbot ran it: `runtask -i ITEM -t TYPE -a ARCH -j BUILDER/NUM --uuid UUID`.
    const run = await runtask(
      '-i',
      ITEM,
      '-t',
      'koji_build',
      '-a',
      'noarch',
      '-j',
      'all/1234',
      '--uuid',
      'u-json',
      '--json',
      NAME_LINT,
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      uuid: 'u-json',
      execution_status: 'OK',
      status: '1 PASSED',
      exit_code: 0,
      artifacts: expect.stringMatching(/u-json$/),
      results: [
        expect.objectContaining({ item: ITEM, outcome: 'PASSED', checkname: 'dist.name-lint' }),
      ],
      reported: [{ ok: true, id: expect.any(Number) }],
    });
  });

  it('exits 1 and says why when the check writes no results', async () => {
    const { runtask } = setup();
    const check = join(tempDir('tasks'), 'quiet');
    mkdirSync(check);
    writeFileSync(
      join(check, 'tests.yml'),
      localPlaybook([{ 'ansible.builtin.debug': { msg: 'hi' } }]),
    );
    const run = await runtask('-i', ITEM, '-t', 'koji_build', check);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^NOT_OK: Results file doesn't exist, assuming the task crashed/m);
    expect(run.stdout).toBe('');
  });

  it('--json still prints the run when ResultsDB goes away mid-report: what was reported, and why not the rest', async () => {
    // A remote ResultsDB that has every testcase, takes the first result, then answers 503.
    let posts = 0;
    const resultsdb = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const [status, body] = req.url!.includes('/testcases/')
          ? [200, { name: 'scratch.a' }]
          : ++posts === 1
            ? [201, { id: 7 }]
            : [503, { message: 'down for maintenance' }];
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((done) => resultsdb.listen(0, '127.0.0.1', done));
    try {
      const { port } = resultsdb.address() as AddressInfo;
      const { runtask } = setup({ resultsdb_url: `http://127.0.0.1:${port}/api/v2.0` });
      const check = join(tempDir('tasks'), 'two');
      mkdirSync(check);
      writeFileSync(
        join(check, 'tests.yml'),
        localPlaybook([
          {
            'ansible.builtin.copy': {
              dest: '{{ artifacts }}/results.yml',
              content:
                'results:\n- {item: x-1-1, checkname: scratch.a, outcome: PASSED}\n' +
                '- {item: x-1-1, checkname: scratch.b, outcome: PASSED}\n',
            },
          },
        ]),
      );
      const run = await runtask(
        '-i',
        'x-1-1',
        '-t',
        'koji_build',
        '--uuid',
        'u-gone',
        '--json',
        check,
      );
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toEqual({
        uuid: 'u-gone',
        execution_status: 'NOT_OK',
        status: expect.stringMatching(
          /^2 PASSED; 1 of 2 results reported, the others not: ResultsDB at .* answered 503: down for maintenance$/,
        ),
        exit_code: 1,
        artifacts: expect.stringMatching(/u-gone$/),
        results: [
          expect.objectContaining({ checkname: 'scratch.a' }),
          expect.objectContaining({ checkname: 'scratch.b' }),
        ],
        reported: [{ ok: true, id: 7 }],
      });
      expect(run.stderr).toMatch(/^NOT_OK: 2 PASSED; 1 of 2 results reported/m);
    } finally {
      resultsdb.close();
    }
  });

  it('exits 2 on bad arguments, naming them', async () => {
    const { runtask } = setup();
    const badType = await runtask('-i', ITEM, '-t', 'rpm', NAME_LINT);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/argument 'rpm' is invalid/);
    const badUuid = await runtask('-i', ITEM, '-t', 'koji_build', '--uuid', '../x', NAME_LINT);
    expect(badUuid.code).toBe(2);
    expect(badUuid.stderr).toMatch(/uuid: not a job uuid/);
    // TASKDIR is an argument too: one with no check in it is not a failed run (exit 1).
    const nowhere = join(tempDir('runtask-nowhere'), 'missing');
    const missing = await runtask('-i', ITEM, '-t', 'koji_build', '--no-report', nowhere);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`loopabull: TASKDIR ${nowhere}: no such directory`);
    const empty = await runtask(
      '-i',
      ITEM,
      '-t',
      'koji_build',
      '--no-report',
      tempDir('runtask-empty'),
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/TASKDIR .*: it has no tests\*\.yml playbook/);
    const help = await runCli(['taskotron', 'runtask', '--help']);
    expect(help.stdout).toMatch(/Exit codes: 0 every result PASSED or INFO/);
  });
});
