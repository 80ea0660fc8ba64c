import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A temporary directory, removed by `removeTempDirs()` (call it in afterAll). */
export function tempDir(label = 'test'): string {
  const dir = mkdtempSync(join(tmpdir(), `loopabull-${label}-`));
  made.push(dir);
  return dir;
}

/**
 * The paths of what lies in the tmp directory's directories whose name starts with `prefix`:
 * what a process made under its own directory there (`prefix` names that process, so that the
 * test files running beside it in other processes are not counted).
 */
export function entriesOfTempDirs(prefix: string): string[] {
  return readdirSync(tmpdir())
    .filter((n) => n.startsWith(prefix))
    .flatMap((d) => {
      try {
        return readdirSync(join(tmpdir(), d)).map((c) => join(tmpdir(), d, c));
      } catch {
        return [];
      }
    });
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
