// Every test, and every process a test starts (workers, ansible-playbook and its modules), makes
// its temporary files under one directory that is removed at the end, including what a process
// killed on purpose could not clean up itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function globalSetup() {
  globalThis.loopabullTestTmp = mkdtempSync(join(tmpdir(), 'loopabull-tests-'));
  process.env.TMPDIR = globalThis.loopabullTestTmp;
}
