import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger, type Config } from '@loopabull/core';
import { removeTempDirs, tempDir } from '@test/support';
import { taskotron } from './automation.js';
import { SHIPPED_TASKS_DIR, taskotronSection } from './section.js';

afterAll(() => removeTempDirs());

const probe = async (section: Record<string, unknown>, name = 'taskotron checks') => {
  const checks = await taskotron.doctor!({
    config: {} as Config,
    section: taskotronSection.parse({ artifacts_dir: tempDir('artifacts'), ...section }),
    logger: createLogger('test', 'error'),
    resolvePath: (p) => p,
  });
  return checks.find((c) => c.name === name)!.probe();
};

describe('the doctor check "taskotron checks"', () => {
  it('finds the checks the shipped rules name among the shipped checks', async () => {
    await expect(probe({})).resolves.toContain(
      `2 checks named by the rules are in ${SHIPPED_TASKS_DIR}`,
    );
  });

  it('names the checks the rules ask for that tasks_dir does not have', async () => {
    const tasks = tempDir('tasks');
    mkdirSync(join(tasks, 'name-lint'));
    writeFileSync(join(tasks, 'name-lint', 'tests.yml'), '[]');
    await expect(probe({ tasks_dir: tasks })).rejects.toThrow(
      `the rules name checks that ${tasks} does not have: always-info`,
    );
  });

  it('takes a check whose playbooks are other tests*.yml than tests.yml, as checkb ran them', async () => {
    const tasks = tempDir('tasks');
    for (const [name, playbook] of [
      ['name-lint', 'tests.yml'],
      ['always-info', 'tests_smoke.yml'],
    ] as const) {
      mkdirSync(join(tasks, name));
      writeFileSync(join(tasks, name, playbook), '[]');
    }
    await expect(probe({ tasks_dir: tasks })).resolves.toContain('2 checks named by the rules');
    // A directory of that name is no playbook.
    rmSync(join(tasks, 'always-info', 'tests_smoke.yml'));
    mkdirSync(join(tasks, 'always-info', 'tests_dir.yml'));
    await expect(probe({ tasks_dir: tasks })).rejects.toThrow('does not have: always-info');
  });
});

describe('the doctor check "taskotron git"', () => {
  const discovering = () => {
    const rules = join(tempDir('rules'), 'rules.yml');
    writeFileSync(
      rules,
      "- {when: {message_type: KojiBuildPackageCompleted}, do: [{discover: {repo: 'https://src.fedoraproject.org/rpms/${name}', branch: f41}}]}\n",
    );
    return { rules };
  };

  it('is not needed when no rule discovers checks', async () => {
    await expect(probe({}, 'taskotron git')).resolves.toBe('not needed: no rule discovers checks');
  });

  it('finds git and coreutils timeout for the rules that discover checks', async () => {
    await expect(probe(discovering(), 'taskotron git')).resolves.toMatch(
      /^for 1 enabled rule with discover: git version \S+, timeout \(GNU coreutils\) /,
    );
  });

  it('finds flock, and a git_cache_dir it can write, for taskotron.git_cache_dir', async () => {
    const cache = join(tempDir('gitcache'), 'mirrors');
    await expect(
      probe({ ...discovering(), git_cache_dir: cache }, 'taskotron git'),
    ).resolves.toMatch(
      new RegExp(
        `, timeout \\(GNU coreutils\\) .*, flock from util-linux .*; git cache in ${cache}$`,
      ),
    );
    const file = join(tempDir('gitcache'), 'a-file');
    writeFileSync(file, '');
    await expect(
      probe({ ...discovering(), git_cache_dir: join(file, 'mirrors') }, 'taskotron git'),
    ).rejects.toThrow(`the git cache cannot be written: ${file} is not a directory`);
  });

  it('names the command that cannot be run', async () => {
    // A PATH with git alone: the clones would fail for want of timeout.
    const bin = tempDir('bin');
    symlinkSync(execFileSync('sh', ['-c', 'command -v git']).toString().trim(), join(bin, 'git'));
    const path = process.env.PATH;
    process.env.PATH = bin;
    try {
      await expect(probe(discovering(), 'taskotron git')).rejects.toThrow(
        'for 1 enabled rule with discover: timeout cannot be run: not found on PATH',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
