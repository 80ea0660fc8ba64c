import { jest } from '@jest/globals';
import type { Command, OptionValues } from 'commander';
import type { Automation } from '@loopabull/core';
import { createProgram, shippedAutomations } from '@loopabull/cli';
import { HOST_VARIABLE } from './cli.js';

/**
 * Runs `loopabull <args> -c <configPath>` in this process: what it prints to standard output and
 * the exit code it sets. A thrown error (a usage error, exit 2 under bin/) is thrown here. As for
 * the spawned CLI, the caller's REDIS_URL, AMQP_URL and LOOPABULL_* are hidden while it runs.
 */
export async function runProgram(
  config: { configPath: string },
  args: string[],
  automations: readonly Automation[] = shippedAutomations,
): Promise<{ out: string; exitCode: number }> {
  let out = '';
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
  const argv = ['node', 'loopabull', ...args, '-c', config.configPath];
  const hidden = Object.entries(process.env).filter(([name]) => HOST_VARIABLE.test(name));
  for (const [name] of hidden) delete process.env[name];
  try {
    await (await createProgram({ automations, argv })).parseAsync(argv);
    return { out, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
    Object.assign(process.env, Object.fromEntries(hidden));
  }
}

/**
 * Parses `<cmd> ARGS` as commander would and resolves to the options its action would get,
 * without running it (no worker or process is started); rejects with commander's error for a
 * usage error, quietly.
 */
export function parsedOptions<T extends OptionValues>(cmd: Command, ...args: string[]): Promise<T> {
  cmd.exitOverride().configureOutput({ writeErr: () => undefined });
  return new Promise((resolve, reject) => {
    cmd.hook('preAction', (command) => {
      resolve(command.opts<T>());
      throw new Error('stop before the action');
    });
    cmd.parseAsync(['node', cmd.name(), ...args]).catch(reject);
  });
}
