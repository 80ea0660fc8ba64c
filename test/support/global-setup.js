// Every test, and every process a test starts (workers, ansible-playbook and its modules), makes
// its temporary files under one directory that is removed at the end, including what a process
// killed on purpose could not clean up itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup() {
  globalThis.loopabullTestTmp = mkdtempSync(join(tmpdir(), 'loopabull-tests-'));
  process.env.TMPDIR = globalThis.loopabullTestTmp;
  // Ansible's own temporary directories, ~/.ansible/tmp by default, which a killed run leaves.
  process.env.ANSIBLE_LOCAL_TEMP = join(globalThis.loopabullTestTmp, 'ansible-local');
  process.env.ANSIBLE_REMOTE_TEMP = join(globalThis.loopabullTestTmp, 'ansible-remote');
}
