import { existsSync, statSync } from 'node:fs';

// Apart from legacy.ts, which runs the command, so that main.ts reads the arguments without
// loading what the command runs.

/** The hidden command a 0.0.7 command line (`loopabull CONFIG`) becomes. */
export const LEGACY = 'legacy-0.0.7';

/**
 * A word that names a config file no command could be: a path, or a YAML file name. When it does
 * not exist, the hidden command says so ("config file … does not exist") rather than Commander
 * calling `/etc/loopabull.yml` an unknown command, which is what a 0.0.7 unit whose file went
 * missing would log.
 */
const looksLikeConfigPath = (word: string) => word.includes('/') || /\.ya?ml$/i.test(word);

/**
 * Loopabull 0.0.7's whole command line was `loopabull CONFIG`, and its units and Fedora's still
 * run `/usr/bin/loopabull $CONFIG_FILE`. Arguments whose first word is an existing file rather
 * than a command, or a missing one named like a config file, are that command line: they become
 * the hidden command that runs it.
 */
export function legacyArgv(argv: readonly string[], commands: readonly string[]): string[] {
  const first = argv[2];
  if (
    argv.length !== 3 ||
    first === undefined ||
    first.startsWith('-') ||
    commands.includes(first) ||
    (existsSync(first) ? !statSync(first).isFile() : !looksLikeConfigPath(first))
  )
    return [...argv];
  return [argv[0]!, argv[1]!, LEGACY, first];
}
