import { readFileSync } from 'node:fs';
import { registered, type Automation, type AutomationEnv } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { checksCheck } from './checks-doctor.js';
import { taskotronCommand } from './cli.js';
import { loadRules } from './rules.js';
import { startRunner } from './runner-start.js';
import { taskotronPaths, taskotronSection, type TaskotronSection } from './section.js';
import { taskotronTrigger } from './trigger.js';

function readRules(env: AutomationEnv<TaskotronSection>) {
  const file = taskotronPaths(env).rules;
  return { file, rules: loadRules(readFileSync(file, 'utf8'), file) };
}

/** The rules file reads and every rule in it is sound. */
const rulesCheck = (env: AutomationEnv<TaskotronSection>) => ({
  name: 'taskotron rules',
  fix: 'correct the rules file at the line, rule and key named, or point taskotron.rules at another',
  probe: async () => {
    const { file, rules } = readRules(env);
    const disabled = rules.filter((r) => !r.enabled).length;
    return `${rules.length} rules (${disabled} disabled) in ${file}`;
  },
});

/**
 * Taskotron on the engine (issue 10). What exists so far: the trigger (message normaliser, rule
 * engine, scheduling with a dedup window), the result parsers and the ResultsDB v2.0 store and
 * API; see docs/taskotron.md.
 */
export const taskotron: Automation = registered<TaskotronSection>({
  name: 'taskotron',
  description: 'Taskotron: trigger rules over Fedora messages, checks and ResultsDB results',
  section: taskotronSection,
  commands: (env) => [taskotronCommand(env)],
  doctor: (env) => [rulesCheck(env), checksCheck(env, () => readRules(env).rules)],
  start: async (env) => {
    // Read once per process: a bad rules file stops the start, naming file, line, rule and key.
    const { rules } = readRules(env);
    const trigger = taskotronTrigger({ rules: () => rules, dedupWindow: env.section.dedup_window });
    // One database per process, shared by the job log and the results store.
    const db = await Database.open(env.config.database.url, {
      baseDir: env.config.dir,
      logger: env.logger,
    });
    const runner = await startRunner(env, db).catch(async (err: unknown) => {
      await db.close();
      throw err;
    });
    return {
      handlers: { default: trigger, trigger, run: runner.run },
      routes: runner.routes,
      async stop() {
        await runner.stop();
        await db.close();
      },
    };
  },
});
