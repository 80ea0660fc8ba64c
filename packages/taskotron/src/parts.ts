import {
  counted,
  PermanentError,
  type AutomationEnv,
  type AutomationParts,
} from '@loopabull/core/cli';
import { checksCheck, gitCheck } from './checks-doctor.js';
import { fuseHandler, TagFuse } from './fuse.js';
import { describeTables } from '@loopabull/database';
import { JOB_LOG_OWNER, JobLog, jobLogMigrations, openJobLog } from './job-log.js';
import { RESULTS_OWNER, resultsMigrations } from './resultsdb/tables.js';
import { readCritpath } from './critpath-file.js';
import { sweepClones } from './git.js';
import { readRules } from './rules-file.js';
import { startRunner } from './runner-start.js';
import type { TaskotronSection } from './section.js';
import { schedulingSettings, taskotronTrigger } from './trigger.js';

/**
 * What the trigger reads from a file (the rules, the critical-path list), read once per process.
 * A file that cannot be read or holds an error is logged once and fails each trigger job with
 * that error (parked, to retry once the file is fixed and the workers restarted), naming file
 * and line; the process and its other automations keep going.
 */
function inForce<T>(env: AutomationEnv<TaskotronSection>, what: string, read: () => T): () => T {
  try {
    const value = read();
    return () => value;
  } catch (err) {
    const problem = `taskotron ${what} unusable: ${(err as Error).message}`;
    env.logger.error(problem);
    return () => {
      throw new PermanentError(problem);
    };
  }
}

/** The rules file reads and every rule in it is sound. */
const rulesCheck = (env: AutomationEnv<TaskotronSection>) => ({
  name: 'taskotron rules',
  fix: 'correct the rules file at the line, rule and key named, or point taskotron.rules at another',
  probe: async () => {
    const { file, rules } = readRules(env);
    const disabled = rules.filter((r) => !r.enabled).length;
    return `${counted(rules.length, 'rule')} (${disabled} disabled) in ${file}`;
  },
});

/** The critical-path list reads and holds package names only. */
const critpathCheck = (env: AutomationEnv<TaskotronSection>) => ({
  name: 'taskotron critpath',
  fix: 'correct taskotron.critpath_file at the line named (one package name per line), or set it to null',
  probe: async () => {
    const { file, packages } = readCritpath(env);
    return file
      ? `${packages.length} critical-path packages in ${file}`
      : 'no critpath_file: critpath_pkgs is empty';
  },
});

/** The database answers, and what was scheduled last; it changes nothing. */
const databaseCheck = ({ config, section, logger }: AutomationEnv<TaskotronSection>) => ({
  name: 'taskotron database',
  fix: 'check database.url: the job log and the built-in ResultsDB live there',
  probe: () =>
    describeTables(
      config.database.url,
      { baseDir: config.dir, logger },
      // The built-in ResultsDB's tables only where it is used: with `resultsdb_url` set no
      // process opens them, so their migrations are never the next start's to apply.
      (dialect) => ({
        [JOB_LOG_OWNER]: jobLogMigrations(dialect),
        ...(section.resultsdb_url === null ? { [RESULTS_OWNER]: resultsMigrations(dialect) } : {}),
      }),
      async (db) => {
        const [newest] = await JobLog.reading(db).recent(1);
        const last = newest ? `newest job scheduled ${newest.scheduled_at}` : 'no jobs yet';
        return `job log in ${db.url}: ${last}`;
      },
    ),
});

/** What the taskotron automation does, imported by the processes that use it (automation.ts). */
export const taskotronParts: AutomationParts<TaskotronSection> = {
  doctor: (env) => [
    rulesCheck(env),
    databaseCheck(env),
    checksCheck(env, () => readRules(env).rules),
    gitCheck(env, () => readRules(env).rules),
    critpathCheck(env),
  ],
  start: async (env) => {
    // A worker killed mid-clone left its clones in the tmp directory: the next start removes
    // them (of processes that are gone only). A failure to does not stop the automation.
    await sweepClones().then(
      (dirs) => {
        if (dirs.length) env.logger.info('removed the clones of processes gone', { dirs });
      },
      (err: unknown) =>
        env.logger.warn('could not remove the clones of processes gone', {
          error: String(err),
        }),
    );
    const rules = inForce(env, 'rules', () => readRules(env).rules);
    const critpathPkgs = inForce(env, 'critpath_file', () => readCritpath(env).packages);
    // One database per process, shared by the job log, the store and the routes.
    const { db, jobLog } = await openJobLog(env.config, env.logger);
    const runner = await startRunner(env, db, jobLog).catch(async (err: unknown) => {
      await db.close();
      throw err;
    });
    const fuse = new TagFuse(env.section.fuse_delay);
    const scheduling = { ...schedulingSettings(env), rules, critpathPkgs, jobLog };
    const trigger = taskotronTrigger({ ...scheduling, fuse });
    return {
      // `fuse` runs the `taskotron.fuse` jobs the trigger leaves for Koji tag changes; `run` the
      // `taskotron.job` jobs it schedules.
      handlers: { default: trigger, trigger, fuse: fuseHandler(scheduling), run: runner.run },
      routes: runner.routes,
      async stop() {
        await fuse.close();
        await runner.stop();
        await db.close();
      },
    };
  },
};
