/**
 * Which configuration the `loopabull` command reads (README, docs/configuration.md): `--config`,
 * then `$LOOPABULL_CONFIG`, then `./loopabull.yml`, then the system file, else the defaults.
 * Each file names its own playbooks directory, and `loopabull resolve` shows which one was used.
 * Every run has a scrubbed environment and a working directory of its own.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { SYSTEM_CONFIG } from '@loopabull/core';
import { localPlaybook, removeTempDirs, runCli, tempDir, writeAutomation } from '@test/support';

afterAll(removeTempDirs);

const TOPIC = 'org.example.lookup';

/** A working directory, and a config file (`name`.yml there) whose playbooks directory has the topic's playbook. */
function setUp(names: string[]) {
  const cwd = tempDir('lookup');
  const files: Record<string, string> = {};
  for (const name of names) {
    const playbooks = join(cwd, `playbooks-${name}`);
    writeAutomation(playbooks, `${TOPIC}.yml`, localPlaybook([]));
    files[name] = join(cwd, name === 'cwd' ? 'loopabull.yml' : `${name}.yml`);
    writeFileSync(files[name], yaml.dump({ ansible: { playbooks_dir: playbooks } }));
  }
  return { cwd, files };
}

/** The playbooks directory the command used: from the file `resolve` found. */
async function playbooksDirUsed(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const res = await runCli(['resolve', TOPIC, '--json', ...args], { isolated: true, cwd, env });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  const { found } = JSON.parse(res.stdout);
  return found ? (found.file as string).slice(0, -`/${TOPIC}.yml`.length) : null;
}

describe('the configuration the command reads', () => {
  it('is --config first, over $LOOPABULL_CONFIG and ./loopabull.yml', async () => {
    const { cwd, files } = setUp(['flag', 'env', 'cwd']);
    expect(
      await playbooksDirUsed(cwd, ['--config', files.flag!], { LOOPABULL_CONFIG: files.env }),
    ).toBe(join(cwd, 'playbooks-flag'));
  });

  it('is $LOOPABULL_CONFIG without --config, over ./loopabull.yml', async () => {
    const { cwd, files } = setUp(['env', 'cwd']);
    expect(await playbooksDirUsed(cwd, [], { LOOPABULL_CONFIG: files.env })).toBe(
      join(cwd, 'playbooks-env'),
    );
  });

  it('is ./loopabull.yml of the working directory without either', async () => {
    const { cwd } = setUp(['cwd']);
    expect(await playbooksDirUsed(cwd)).toBe(join(cwd, 'playbooks-cwd'));
  });

  // The system file itself is covered by packages/core/src/config/lookup.test.ts, which points
  // it elsewhere; here only a host without one can show the defaults.
  (existsSync(SYSTEM_CONFIG) ? it.skip : it)(
    'is none without any of them: the defaults, playbooks in ./playbooks',
    async () => {
      const cwd = tempDir('lookup');
      writeAutomation(join(cwd, 'playbooks'), `${TOPIC}.yml`, localPlaybook([]));
      expect(await playbooksDirUsed(cwd)).toBe(join(cwd, 'playbooks'));
    },
  );

  it('is an error (exit 2) when $LOOPABULL_CONFIG names a file that does not exist', async () => {
    const { cwd } = setUp(['cwd']);
    const res = await runCli(['resolve', TOPIC], {
      isolated: true,
      cwd,
      env: { LOOPABULL_CONFIG: 'missing.yml' },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`config file ${join(cwd, 'missing.yml')} does not exist`);
  });

  it('has its relative paths resolved against the file, not the working directory', async () => {
    const { cwd } = setUp([]);
    const elsewhere = join(cwd, 'etc');
    mkdirSync(elsewhere);
    writeAutomation(join(elsewhere, 'pb'), `${TOPIC}.yml`, localPlaybook([]));
    writeFileSync(join(elsewhere, 'conf.yml'), 'ansible:\n  playbooks_dir: pb\n');
    expect(await playbooksDirUsed(cwd, ['--config', 'etc/conf.yml'])).toBe(join(elsewhere, 'pb'));
  });
});
