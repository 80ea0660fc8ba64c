import { readFileSync } from 'node:fs';
import type { AutomationEnv } from '@loopabull/core/cli';
import type { TaskotronSection } from './section.js';

/** What Fedora's packaging guidelines allow in a package name. */
const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

/** A critical-path file that cannot be used, with file and line. */
export class CritpathError extends Error {
  constructor(file: string, line: number | null, problem: string) {
    super(`${file}${line === null ? '' : `:${line}`}: ${problem}`);
    this.name = 'CritpathError';
  }
}

/**
 * The package names of a critical-path list (pure): one per line, as Fedora's `critpath.txt`
 * lists them; blank lines and `#` comments are skipped, a name listed twice counts once. A line
 * that is not one package name is a CritpathError naming file and line.
 */
export function parseCritpath(text: string, file: string): string[] {
  const names = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    if (!PACKAGE_NAME.test(line))
      throw new CritpathError(
        file,
        i + 1,
        `${JSON.stringify(line.slice(0, 80))} is not a package name (one per line: letters, digits, - . _ +, starting with a letter or digit)`,
      );
    names.add(line);
  });
  return [...names];
}

/**
 * `taskotron.critpath_file` read and checked, relative to the config file: the names the
 * normaliser offers rules as `critpath_pkgs`; none when no file is configured.
 */
export function readCritpath(
  env: Pick<AutomationEnv<TaskotronSection>, 'section' | 'resolvePath'>,
): {
  file: string | null;
  packages: string[];
} {
  if (env.section.critpath_file === null) return { file: null, packages: [] };
  const file = env.resolvePath(env.section.critpath_file);
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CritpathError(file, null, `cannot read: ${(err as Error).message}`);
  }
  return { file, packages: parseCritpath(text, file) };
}
