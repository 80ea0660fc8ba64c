import { readFileSync } from 'node:fs';
import type { AutomationEnv } from '@loopabull/core/cli';
import { loadRules, type Rule } from './rules.js';
import { taskotronPaths, type TaskotronSection } from './section.js';

/** The rules file of the configuration, read and checked: a RulesError names file, line and key. */
export function readRules(env: Pick<AutomationEnv<TaskotronSection>, 'section' | 'resolvePath'>): {
  file: string;
  rules: Rule[];
} {
  const file = taskotronPaths(env).rules;
  return { file, rules: loadRules(readFileSync(file, 'utf8'), file) };
}
