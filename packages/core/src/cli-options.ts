import type { Command } from 'commander';

/**
 * Every command takes `-c, --config`; the lookup order is in `--help`. Here, not in the CLI, so an
 * automation's commands say the same without importing the CLI.
 */
export function configOption(cmd: Command): Command {
  return cmd.option(
    '-c, --config <path>',
    'config file (default: $LOOPABULL_CONFIG, ./loopabull.yml, /etc/loopabull/loopabull.yml, else built-in defaults)',
  );
}

/** `--json` output for scripts; `write` is a parameter so tests can take the text. */
export function printJson(write: (text: string) => unknown, value: unknown): void {
  write(JSON.stringify(value, null, 2) + '\n');
}
