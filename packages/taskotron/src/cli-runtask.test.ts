import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, type CommandEnv } from '@loopabull/core';
import { removeTempDirs, tempDir, testConfig } from '@test/support';
import { taskotron } from './automation.js';
import { runtaskCommand } from './cli-runtask.js';
import { parseJob } from './job.js';

/** checkb's `runtask -t` choices (`checkb/main.py`, part E.3 of the originals). */
const RUNTASK_ITEM_TYPES = [
  'bodhi_update',
  'compose',
  'dist_git_commit',
  'docker_image',
  'git_commit',
  'koji_build',
  'koji_tag',
  'module_build',
  'pull_request',
];

afterAll(() => removeTempDirs());

describe('loopabull taskotron runtask -t', () => {
  const command = () =>
    runtaskCommand({} as CommandEnv, { out: () => undefined, err: () => undefined })
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });

  it('offers every item type runtask took', () => {
    const type = command().options.find((o) => o.long === '--type');
    expect(type?.argChoices).toEqual(RUNTASK_ITEM_TYPES);
  });

  it.each(RUNTASK_ITEM_TYPES)('makes a job of item type %s', (itemType) => {
    const parsed = parseJob({
      item: 'x',
      item_type: itemType,
      taskname: 'check',
      arch: 'noarch',
      uuid: '20260101_000000_000000',
    });
    expect(parsed.ok).toBe(true);
  });

  it('refuses another item type, listing the ones it takes', async () => {
    await expect(
      command().parseAsync(['-i', 'x', '-t', 'rpm', 'dir'], { from: 'user' }),
    ).rejects.toThrow(/argument 'rpm' is invalid. Allowed choices are bodhi_update, compose, /);
  });

  it('calls a TASKDIR with no check in it a usage error (exit 2), naming it, before running anything', async () => {
    const config = testConfig({ automations: [taskotron] });
    const runtask = (dir: string) =>
      runtaskCommand({ loadConfig: () => config }, { out: () => undefined, err: () => undefined })
        .exitOverride()
        .parseAsync(['-i', 'x-1-1.fc40', '-t', 'koji_build', '--no-report', dir], { from: 'user' });
    const missing = join(tempDir('runtask-missing'), 'gone');
    await expect(runtask(missing)).rejects.toThrow(
      new ConfigError(`TASKDIR ${missing}: no such directory`),
    );
    await expect(runtask(tempDir('runtask-empty'))).rejects.toBeInstanceOf(ConfigError);
  });
});
