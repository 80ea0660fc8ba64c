/**
 * ansible-playbook refuses a command line it cannot parse (a misspelt option in
 * `ansible.playbook_cmd`) with argparse's exit code 2, the one it also gives for a host that
 * failed: no try can do better, so the run fails at once, naming argparse's error line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { localPlaybook, removeTempDirs, tempDir } from '@test/support';
import { runPlaybook } from './playbook-runner.js';
import { RunError } from './run-error.js';

afterAll(removeTempDirs);

async function runWith(playbookCmd: string, tasks: unknown[]): Promise<RunError> {
  const dir = tempDir('options');
  writeFileSync(join(dir, 'x.yml'), localPlaybook(tasks));
  writeFileSync(join(dir, 'vars.yml'), 'msg: {}\n');
  const config = {
    ansible: {
      playbooks_dir: dir,
      playbook_cmd: playbookCmd,
      cfg_file_path: null,
      timeout: 120,
      env_passthrough: ['*'],
      batch: {},
    },
  };
  const failure = await runPlaybook({
    config,
    file: join(dir, 'x.yml'),
    relative: 'x.yml',
    varsFile: join(dir, 'vars.yml'),
    env: {},
    onLine: () => undefined,
  }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(RunError);
  return failure as RunError;
}

describe('a command line ansible-playbook refuses', () => {
  it('fails at once as bad options, naming the error that the help text after it would hide', async () => {
    const err = await runWith('ansible-playbook --no-such-option', [{ debug: { msg: 'hi' } }]);
    expect(err.exitCode).toBe(2);
    expect(err.permanent).toBe(true);
    expect(err.summary).toBe(
      'ansible-playbook exited 2 (playbook x.yml), bad options: ansible-playbook: error: unrecognized arguments: --no-such-option',
    );
  });

  it('still retries exit code 2 from a host that failed', async () => {
    const err = await runWith('ansible-playbook', [{ fail: { msg: 'usage: ansible-playbook' } }]);
    expect(err.exitCode).toBe(2);
    expect(err.permanent).toBe(false);
    expect(err.summary).toBe(
      'ansible-playbook exited 2 (playbook x.yml), one or more hosts failed',
    );
  });
});

describe('a file the playbook imports that is missing', () => {
  it('fails at once: no try finds it until it is there', async () => {
    const err = await runWith('ansible-playbook', [{ import_tasks: '/nonexistent/tasks.yml' }]);
    expect(err.exitCode).toBe(1);
    expect(err.permanent).toBe(true);
    expect(err.summary).toBe(
      'ansible-playbook exited 1 (playbook x.yml), a file it imports not found',
    );
    expect(err.output).toContain("Could not find or access '/nonexistent/tasks.yml'");
  });
});
