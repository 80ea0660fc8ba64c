import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A temporary directory, removed by `removeTempDirs()` (call it in afterAll). */
export function tempDir(label = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `loopabull-${label}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
