import { registered, type Automation } from '@loopabull/core';
import { taskotronRoutes } from './resultsdb/mount.js';
import { taskotronSection, type TaskotronSection } from './section.js';

/**
 * Taskotron on the engine (issue 10). What exists so far: the config section, the pure trigger
 * logic (message normaliser, rule engine), the result parsers and the ResultsDB v2.0 store and
 * API; see docs/taskotron.md.
 */
export const taskotron: Automation = registered<TaskotronSection>({
  name: 'taskotron',
  description: 'Taskotron: trigger rules over Fedora messages, checks and ResultsDB results',
  section: taskotronSection,
  // With resultsdb_url set, results live in a remote ResultsDB: nothing is mounted here.
  start: ({ section }) => (section.resultsdb_url === null ? { routes: taskotronRoutes } : {}),
});
