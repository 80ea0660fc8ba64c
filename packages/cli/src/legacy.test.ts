import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, tempDir } from '@test/support';
import { legacyArgv } from './commands/legacy.js';

afterAll(() => removeTempDirs());

describe('legacyArgv', () => {
  const dir = tempDir('legacy-argv');
  const file = join(dir, 'loopabull.yml');
  writeFileSync(file, 'routing_keys: [all]\n');
  const argv = (...args: string[]) => ['node', 'loopabull', ...args];
  const commands = ['looper', 'worker'];

  it("runs 0.0.7's `loopabull CONFIG` as the hidden command", () => {
    expect(legacyArgv(argv(file), commands)).toEqual(argv('legacy-0.0.7', file));
  });

  it('leaves commands, options, more arguments and what is not a file as they are', () => {
    for (const args of [
      ['looper'],
      ['--help'],
      [file, '--help'],
      [join(dir, 'missing.yml')],
      [dir],
      [],
    ])
      expect(legacyArgv(argv(...args), commands)).toEqual(argv(...args));
  });

  it('prefers a command to a file of the same name', () => {
    expect(legacyArgv(argv(file), [file])).toEqual(argv(file));
  });
});
