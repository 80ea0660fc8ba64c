/**
 * A playbook's TMPDIR and ANSIBLE_LOCAL_TEMP are its run's private directory (README of this
 * package): a module that is killed mid-run leaves its unpacked AnsiballZ payload there, and
 * ansible-playbook its ansible-local-* directory, and they go when the run ends, instead of
 * staying in /tmp and ~/.ansible/tmp for good.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { localPlaybook, removeTempDirs, tempDir, waitFor } from '@test/support';
import { runPlaybook } from './playbook-runner.js';
import { withVarsFile } from './vars-file.js';

afterAll(removeTempDirs);

describe("a playbook's TMPDIR and ANSIBLE_LOCAL_TEMP", () => {
  it("hold what a killed module and ansible-playbook leave, and are removed with the run's directory", async () => {
    const dir = tempDir('tmpdir');
    const file = join(dir, 'sleep.yml');
    writeFileSync(file, localPlaybook([{ 'ansible.builtin.command': 'sleep 600' }]));
    const config = {
      ansible: {
        playbooks_dir: dir,
        playbook_cmd: 'ansible-playbook',
        cfg_file_path: null,
        timeout: 3600,
        env_passthrough: ['PATH', 'HOME', 'LANG', 'ANSIBLE_*'],
        batch: {},
      },
    };
    const stop = new AbortController();
    let runDir = '';
    const settled = withVarsFile('x: 1\n', (varsFile) => {
      runDir = dirname(varsFile);
      return runPlaybook({
        config,
        file,
        relative: 'sleep.yml',
        varsFile,
        env: {},
        onLine: () => undefined,
        signal: stop.signal,
      });
    }).then(
      () => new Error('the playbook was not stopped'),
      (err: unknown) => err as Error,
    );
    const payload = await waitFor(
      () => existsSync(runDir) && readdirSync(runDir).find((n) => /^ansible_.*_payload_/.test(n)),
      { timeout: 60_000 },
    );
    expect(payload).toMatch(/^ansible_ansible\.legacy\.command_payload_/);
    // ansible-playbook's own directory (~/.ansible/tmp/ansible-local-*) is there too.
    expect(readdirSync(runDir).filter((n) => n.startsWith('ansible-local-'))).toHaveLength(1);
    stop.abort();
    expect((await settled).message).toMatch(/^ansible-playbook stopped \(playbook sleep\.yml\)/);
    expect(existsSync(runDir)).toBe(false);
  }, 90_000);
});
