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
    for (const args of [['looper'], ['--help'], [file, '--help'], ['missing'], [dir], []])
      expect(legacyArgv(argv(...args), commands)).toEqual(argv(...args));
  });

  it('runs a missing config file named like one as the hidden command, which says it is missing', () => {
    // Commander would otherwise answer a 0.0.7 unit's `loopabull /etc/loopabull.yml` with
    // "unknown command '/etc/loopabull.yml'".
    for (const missing of [join(dir, 'missing.yml'), 'loopabull.yaml', join(dir, 'conf')])
      expect(legacyArgv(argv(missing), commands)).toEqual(argv('legacy-0.0.7', missing));
  });

  it('prefers a command to a file of the same name', () => {
    expect(legacyArgv(argv(file), [file])).toEqual(argv(file));
  });
});
