/**
 * A run's stdout and stderr reach `onLine` interleaved, a whole line at a time (README of this
 * package): a line of one written while a line of the other is half written cuts neither.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, tempDir } from '@test/support';
import { spawnPlaybook } from './playbook-runner.js';

afterAll(removeTempDirs);

describe("a playbook's output", () => {
  it('comes in whole lines when a stderr line is written between the pieces of a stdout line', async () => {
    const dir = tempDir('output');
    const cmd = join(dir, 'playbook-cmd');
    // Each piece is written once the line before it was read, so that they arrive apart, in order.
    writeFileSync(
      cmd,
      `#!/bin/sh
printf 'started\\nhalf of a stdout line'
until [ -e ${dir}/read-1 ]; do sleep 0.01; done
printf 'a whole stderr line\\n' >&2
until [ -e ${dir}/read-2 ]; do sleep 0.01; done
printf ' and its end\\n'
`,
    );
    chmodSync(cmd, 0o755);
    const lines: string[] = [];
    const exit = await spawnPlaybook({
      config: {
        ansible: {
          playbooks_dir: dir,
          playbook_cmd: cmd,
          cfg_file_path: null,
          timeout: 60,
          env_passthrough: ['PATH'],
          batch: {},
        },
      },
      file: join(dir, 'x.yml'),
      relative: 'x.yml',
      varsFile: join(dir, 'vars.yml'),
      env: {},
      onLine: (line) => {
        lines.push(line);
        writeFileSync(join(dir, `read-${lines.length}`), '');
      },
    });
    expect(exit.exitCode).toBe(0);
    expect(lines).toEqual(['started', 'a whole stderr line', 'half of a stdout line and its end']);
    expect(exit.output).toBe('started\na whole stderr line\nhalf of a stdout line and its end');
  });
});
