/**
 * A newcomer's path: the source tree as git has it (tracked files and new ones not ignored, no
 * node_modules, no dist), `npm ci`, a build, then `npx loopabull` as the README types it. A
 * checkout that has been built before hides a bin link that points at nothing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from '@jest/globals';
import { removeTempDirs, tempDir } from '@test/support';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

afterAll(removeTempDirs);

/** The files a clone of the working tree would have. */
function copySourceTree(to: string): void {
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
    },
  )
    .toString('utf8')
    .split('\0')
    .filter((f) => f && existsSync(join(ROOT, f)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(ROOT, file), join(to, file));
  }
}

it('npm ci, a build, then npx loopabull --help works', async () => {
  const dir = tempDir('clone');
  copySourceTree(dir);
  expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  // From npm's cache, which the checkout's own `npm ci` filled, as far as it goes.
  const env = { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false' };
  // Without install scripts: compiling better-sqlite3 again would take minutes and proves
  // nothing here (its addon loads only when a database opens); bin links are made regardless.
  await run('npm', ['ci', '--ignore-scripts', '--no-fund', '--loglevel=error'], { cwd: dir, env });
  await run('npm', ['run', 'build', '--silent'], { cwd: dir, env });
  // Rejects, with npx's own message, when the command cannot be found or exits non-zero.
  const help = await run('npx', ['loopabull', '--help'], { cwd: dir, env });
  expect(help.stdout).toMatch(/^Usage: loopabull/m);
  expect(help.stdout).toContain('machines');
}, 600_000);
