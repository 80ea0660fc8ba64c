/**
 * A worker killed outright (SIGKILL, the OOM killer) runs no exit cleanup: its playbooks' process
 * groups are stopped by the reaper it started, as systemd's control-group kill would, also when
 * it runs outside systemd (`loopabull up`, a container). Runs the built module (`npm run build`
 * first) in a child process, the worker, and kills that.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { processAlive, removeTempDirs, tempDir, waitFor } from '@test/support';

afterAll(removeTempDirs);

const runner = join(import.meta.dirname, '../dist/playbook-runner.js');

/**
 * A worker process: runs one playbook whose command is the shell script `script`, prints each
 * line of its output (the run is in the reaper's care by then), sets its exit code to 7 when the
 * run succeeded, and exits.
 */
function worker(dir: string, script: string) {
  const cmd = join(dir, 'playbook-cmd');
  writeFileSync(cmd, `#!/bin/sh\n${script}\n`);
  chmodSync(cmd, 0o755);
  const config = {
    ansible: { playbook_cmd: cmd, cfg_file_path: null, timeout: 3600, env_passthrough: ['PATH'] },
  };
  return spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { spawnPlaybook } from ${JSON.stringify(runner)};
const { exitCode } = await spawnPlaybook({ config: ${JSON.stringify(config)}, file: 'x.yml',
  relative: 'x.yml', varsFile: 'v.yml', env: {}, onLine: (line) => console.log(line) });
process.exitCode = exitCode === 0 ? 7 : 1;`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

/**
 * A playbook command that starts a child which prints its pid, notes a SIGTERM and ends on it,
 * or ignores it when `stubborn` (as a shell task may), and waits for it.
 */
const lingering = (dir: string, stubborn: boolean) =>
  `sh -c 'trap "echo TERM >> ${dir}/term${stubborn ? '' : '; exit 1'}" TERM; ` +
  // Its stderr away from the dead worker's pipe: the shell reports the `sleep` the SIGTERM ended
  // there, and a write to that pipe would end it by SIGPIPE before its trap ran.
  `echo $$; while :; do sleep 0.1; done' 2>/dev/null &\nwait`;

describe('a worker killed outright, its playbooks', () => {
  it.each([
    ['get SIGTERM and end', false],
    ['get SIGTERM, then SIGKILL 5 s later when they ignore it', true],
  ])(
    '%s',
    async (_what, stubborn) => {
      const dir = tempDir('reaper');
      const child = worker(dir, lingering(dir, stubborn));
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const pid = Number(line.toString());
      try {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        expect(await exited).toEqual([null, 'SIGKILL']);
        await waitFor(() => !processAlive(pid), { timeout: 15_000, what: 'the playbook to end' });
        expect(readFileSync(join(dir, 'term'), 'utf8')).toBe('TERM\n');
      } finally {
        if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    },
    30_000,
  );

  it('the reaper keeps no worker alive: one whose run is over exits by itself', async () => {
    const dir = tempDir('reaper');
    const child = worker(dir, 'exit 0');
    expect(await once(child, 'exit')).toEqual([7, null]);
  });
});
