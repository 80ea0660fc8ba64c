import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

/**
 * Where hostile-input tests note how many cases of each kind they tried; the run's global
 * teardown prints the totals. TMPDIR is the run's own directory (global-setup.js).
 */
const TALLY_FILE = 'hostile-tally.jsonl';

export function tried(kind: string, cases: number): void {
  appendFileSync(
    join(process.env.TMPDIR ?? '/tmp', TALLY_FILE),
    JSON.stringify({ kind, cases }) + '\n',
  );
}

/**
 * Runs a fast-check property and tallies how many inputs it tried. The seed is printed by
 * fast-check on failure, so a failing case can be replayed.
 */
export async function tryAll<T>(
  kind: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => void | Promise<void>,
  numRuns = 300,
): Promise<void> {
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      cases++;
      await check(input);
    }),
    { numRuns },
  );
  tried(kind, cases);
}

/** Strings a hostile sender likes: control characters, lone surrogates, long runs, templates, paths. */
export const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    '..',
    '../../etc/passwd',
    '{{ lookup("pipe", "id") }}',
    '$(id)',
    '`id`',
    '\u0000',
    '\ud800',
    'constructor',
    '__proto__',
    '%s%n',
    'a'.repeat(5000),
    '\u202e',
  ),
);

/** JSON values as a sender could shape them: deep, wide, odd keys. */
export const nastyJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(nastyString, tie('value'), { maxKeys: 5 }),
  ),
})).value;
