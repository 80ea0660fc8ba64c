import { jest } from '@jest/globals';
import type { Automation } from '@loopabull/core';
import { createProgram, shippedAutomations } from '@loopabull/cli';

/**
 * Runs `loopabull <args> -c <configPath>` in this process: what it prints to standard output and
 * the exit code it sets. A thrown error (a usage error, exit 2 under bin/) is thrown here.
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
  try {
    await createProgram({ automations, argv }).parseAsync(argv);
    return { out, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
}
