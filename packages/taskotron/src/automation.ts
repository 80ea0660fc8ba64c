import { registered, type Automation } from '@loopabull/core';
import { taskotronSection, type TaskotronSection } from './section.js';

/**
 * Taskotron on the engine (issue 10). What exists so far: the config section, the pure
 * trigger logic (message normaliser, rule engine) and the result parsers; see docs/taskotron.md.
 */
export const taskotron: Automation = registered<TaskotronSection>({
  name: 'taskotron',
  description: 'Taskotron: trigger rules over Fedora messages, checks and ResultsDB results',
  section: taskotronSection,
});
