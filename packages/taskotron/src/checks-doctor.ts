import { join } from 'node:path';
import { execa } from 'execa';
import { counted, notWritable, type AutomationEnv, type DoctorCheck } from '@loopabull/core';
import { CHECK_FILES, checkPlaybooks } from './check-layout.js';
import { TASK_NAME, type Rule } from './rules.js';
import { taskotronPaths, type TaskotronSection } from './section.js';

/**
 * The task names enabled rules name literally (a `${var}` one is known only per message; a
 * `discover` action's checks are in its repository, not in tasks_dir).
 */
const namedTasks = (rules: readonly Rule[]): string[] =>
  [
    ...new Set(
      rules.filter((r) => r.enabled).flatMap((r) => r.do.flatMap((action) => action.tasks ?? [])),
    ),
  ]
    .filter((t) => TASK_NAME.test(t))
    .sort();

/**
 * Every check the rules name is in `tasks_dir`, and `artifacts_dir` can be written: else every
 * job of a missing check is parked, and every job fails for want of a directory.
 */
export function checksCheck(
  env: AutomationEnv<TaskotronSection>,
  rules: () => readonly Rule[],
): DoctorCheck {
  return {
    name: 'taskotron checks',
    fix: `add the missing checks (<tasks_dir>/<taskname>/${CHECK_FILES.playbooks}) or point taskotron.tasks_dir at them; make taskotron.artifacts_dir writable`,
    async probe() {
      const { tasksDir, artifactsDir } = taskotronPaths(env);
      const names = namedTasks(rules());
      const missing: string[] = [];
      for (const name of names)
        if (!(await checkPlaybooks(join(tasksDir, name))).run.length) missing.push(name);
      if (missing.length)
        throw new Error(
          `the rules name checks that ${tasksDir} does not have: ${missing.join(', ')}`,
        );
      const problem = await notWritable(artifactsDir);
      if (problem) throw new Error(`artifacts cannot be written: ${problem}`);
      return `${names.length} checks named by the rules are in ${tasksDir}; artifacts go to ${artifactsDir}`;
    },
  };
}

/**
 * What a `discover` rule's jobs run (git.ts): git, under coreutils' `timeout`, and with
 * `git_cache_dir` util-linux's `flock` (the lock of a mirror), in a directory that can be
 * written. Without them, every discovered job's clone fails and is retried until it is parked.
 */
export function gitCheck(
  env: Pick<AutomationEnv<TaskotronSection>, 'section' | 'resolvePath'>,
  rules: () => readonly Rule[],
): DoctorCheck {
  return {
    name: 'taskotron git',
    fix: 'install git, coreutils (`timeout` bounds each git run) and, for taskotron.git_cache_dir, util-linux (`flock`): apt-get install git coreutils util-linux; make git_cache_dir writable',
    async probe() {
      const discovering = rules().filter((r) => r.enabled && r.do.some((a) => a.discover));
      if (!discovering.length) return 'not needed: no rule discovers checks';
      const by = `for ${counted(discovering.length, 'enabled rule')} with discover`;
      const { gitCacheDir } = taskotronPaths(env);
      const versions: string[] = [];
      for (const command of ['git', 'timeout', ...(gitCacheDir === null ? [] : ['flock'])]) {
        const ran = await execa(command, ['--version'], { reject: false });
        if (ran.failed) {
          const why =
            ran.code === 'ENOENT' ? 'not found on PATH' : (ran.shortMessage ?? '').split('\n')[0];
          throw new Error(`${by}: ${command} cannot be run: ${why}`);
        }
        versions.push(ran.stdout.split('\n')[0]!);
      }
      if (gitCacheDir === null) return `${by}: ${versions.join(', ')}`;
      const problem = await notWritable(gitCacheDir);
      if (problem) throw new Error(`${by}: the git cache cannot be written: ${problem}`);
      return `${by}: ${versions.join(', ')}; git cache in ${gitCacheDir}`;
    },
  };
}
