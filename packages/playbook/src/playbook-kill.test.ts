/**
 * How a playbook run is stopped (README of this package): its process group gets SIGTERM, then
 * SIGKILL 5 s later, and the run is over only once nothing of the group is left. The playbook
 * command is a stand-in that dies on SIGTERM, like ansible-playbook, while the child it started
 * (as a shell task does) ignores SIGTERM and would otherwise outlive the run.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { processAlive, removeTempDirs, tempDir, waitFor } from '@test/support';
import { runExitCleanups } from './exit-cleanup.js';
import { KILL_GRACE_MS, runPlaybook } from './playbook-runner.js';
import { withVarsFile } from './vars-file.js';

afterAll(removeTempDirs);

function stubbornPlaybook(timeout: number) {
  const dir = tempDir('kill');
  const cmd = join(dir, 'playbook-cmd');
  writeFileSync(
    cmd,
    `#!/bin/sh
sh -c 'trap "echo TERM >> ${dir}/term" TERM; echo $$ > ${dir}/pid; while :; do sleep 0.1; done' >/dev/null 2>&1 &
wait
`,
  );
  chmodSync(cmd, 0o755);
  const config = {
    ansible: {
      playbooks_dir: dir,
      playbook_cmd: cmd,
      cfg_file_path: null,
      timeout,
      env_passthrough: ['PATH'],
      batch: {},
    },
  };
  return { dir, config };
}

/** Runs `x.yml` of a `stubbornPlaybook` directory. */
const runStub = (
  { dir, config }: ReturnType<typeof stubbornPlaybook>,
  extra: { varsFile?: string; signal?: AbortSignal } = {},
) =>
  runPlaybook({
    config,
    file: join(dir, 'x.yml'),
    relative: 'x.yml',
    varsFile: join(dir, 'vars.yml'),
    env: {},
    onLine: () => undefined,
    ...extra,
  });

describe('stopping a playbook run', () => {
  it('waits 5 s between SIGTERM and SIGKILL, as documented', () => {
    expect(KILL_GRACE_MS).toBe(5_000);
  });

  it.each([
    ['at its timeout', 1.5, /^ansible-playbook timed out after 1\.5 s \(playbook x\.yml\)/],
    [
      'when the worker stops',
      3600,
      /^ansible-playbook stopped \(playbook x\.yml\): the worker is shutting down/,
    ],
  ])(
    '%s, ends only once a child that ignores SIGTERM has been SIGKILLed',
    async (_when, timeout, reason) => {
      const stub = stubbornPlaybook(timeout);
      const { dir } = stub;
      const stop = new AbortController();
      const run = runStub(stub, { signal: stop.signal });
      const settled = run.catch((err: unknown) => err);
      const pid = Number(
        await waitFor(() => existsSync(join(dir, 'pid')) && readFileSync(join(dir, 'pid'), 'utf8')),
      );
      try {
        if (timeout > 60) stop.abort();
        const err = (await settled) as Error;
        expect(err.message).toMatch(reason);
        // It had the SIGTERM, ignored it, and is gone all the same.
        expect(readFileSync(join(dir, 'term'), 'utf8')).toBe('TERM\n');
        expect(processAlive(pid)).toBe(false);
      } finally {
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    },
    30_000,
  );
});

describe('a process that exits without waiting for its runs (its exit cleanups)', () => {
  it("SIGKILLs the playbook's process group at once and removes the vars file", async () => {
    const stub = stubbornPlaybook(3600);
    const { dir } = stub;
    let varsDir = '';
    const settled = withVarsFile('x: 1\n', (varsFile) => {
      varsDir = dirname(varsFile);
      return runStub(stub, { varsFile });
    }).catch((err: unknown) => err);
    const pid = Number(
      await waitFor(() => existsSync(join(dir, 'pid')) && readFileSync(join(dir, 'pid'), 'utf8')),
    );
    try {
      // What the process's `exit` event runs.
      runExitCleanups();
      expect(existsSync(varsDir)).toBe(false);
      expect(((await settled) as Error).message).toMatch(/was killed by SIGKILL/);
      // No SIGTERM first: there is no time for a grace on exit.
      expect(existsSync(join(dir, 'term'))).toBe(false);
      expect(processAlive(pid)).toBe(false);
    } finally {
      if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

describe('a playbook killed by a signal Loopabull did not send', () => {
  /** A playbook command that prints `output`, then kills itself with `signal`. */
  function selfKilling(signal: string, output: string) {
    const stub = stubbornPlaybook(3600);
    writeFileSync(
      stub.config.ansible.playbook_cmd,
      `#!/bin/sh\nprintf '${output}'\nkill -${signal} $$\n`,
    );
    return runStub(stub).then(
      () => null,
      (err: unknown) => err as Error,
    );
  }

  it('names the signal once, then its output', async () => {
    expect((await selfKilling('KILL', 'TASK [x]\\n'))?.message).toBe(
      'ansible-playbook was killed by SIGKILL (playbook x.yml):\nTASK [x]',
    );
  });

  it('ends with the playbook when it printed nothing, not with a colon', async () => {
    expect((await selfKilling('TERM', ''))?.message).toBe(
      'ansible-playbook was killed by SIGTERM (playbook x.yml)',
    );
  });
});
