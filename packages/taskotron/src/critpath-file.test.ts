import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, tempDir } from '@test/support';
import { createLogger, type Config } from '@loopabull/core';
import { taskotron } from './automation.js';
import { CritpathError, parseCritpath, readCritpath } from './critpath-file.js';
import { taskotronSection } from './section.js';

afterAll(() => removeTempDirs());

describe('the critical-path file', () => {
  it('lists one package per line, skipping blank lines and comments, each name once', () => {
    expect(
      parseCritpath(
        '# Fedora critical path\nglibc\n\n  kernel  \r\nglibc # again\npython3.12\n',
        'c',
      ),
    ).toEqual(['glibc', 'kernel', 'python3.12']);
    expect(parseCritpath('', 'c')).toEqual([]);
  });

  it.each([
    ['two names on a line', 'glibc\nfoo bar\n', 'c.txt:2: "foo bar" is not a package name'],
    ['a path', 'a\nb\n../etc/passwd\n', 'c.txt:3: "../etc/passwd" is not a package name'],
    ['a leading dash', '-rf\n', 'c.txt:1: "-rf" is not a package name'],
  ])('refuses %s, naming file and line', (_what, text, message) => {
    expect(() => parseCritpath(text, 'c.txt')).toThrow(CritpathError);
    expect(() => parseCritpath(text, 'c.txt')).toThrow(message);
  });

  it('is none when not configured, and names a file it cannot read', () => {
    const env = (critpath_file: string | null) => ({
      section: taskotronSection.parse({ critpath_file }),
      resolvePath: (p: string) => `/nonexistent/${p}`,
    });
    expect(readCritpath(env(null))).toEqual({ file: null, packages: [] });
    expect(() => readCritpath(env('critpath.txt'))).toThrow(
      /^\/nonexistent\/critpath\.txt: cannot read: ENOENT/,
    );
  });

  it('has a doctor check that counts the packages or names the bad line', async () => {
    const probe = async (critpath_file: string | null) =>
      (
        await taskotron.doctor!({
          config: {} as Config,
          section: taskotronSection.parse({ critpath_file }),
          logger: createLogger('test', 'error'),
          resolvePath: (p: string) => p,
        })
      )
        .find((c) => c.name === 'taskotron critpath')!
        .probe();
    expect(await probe(null)).toBe('no critpath_file: critpath_pkgs is empty');
    const file = join(tempDir('critpath'), 'critpath.txt');
    writeFileSync(file, 'glibc\nkernel\n');
    expect(await probe(file)).toBe(`2 critical-path packages in ${file}`);
    await expect(probe('/nonexistent/critpath.txt')).rejects.toThrow(
      /^\/nonexistent\/critpath\.txt: cannot read/,
    );
  });
});
