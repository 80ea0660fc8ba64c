import { lazyAutomation } from '@loopabull/core/cli';
import { triggerTopics } from './normalise.js';
import { taskotronSection, type TaskotronSection } from './section.js';
import { FUSE_TOPIC, JOB_TOPIC } from './topics.js';

/**
 * Taskotron on the engine (issue 10). What exists so far: the trigger (message normaliser, rule
 * engine, scheduling with a dedup window, the Koji tag fuse, the job log), the runner and its
 * reporting, `loopabull taskotron replay` and `runtask`, the ResultsDB v2.0 store and API, and
 * the page for people; see docs/taskotron.md.
 *
 * The CLI imports this module alone (`@loopabull/taskotron/automation`); the rest, with the
 * database drivers and the runner, comes with the first process that uses it.
 */
export const taskotron = lazyAutomation<TaskotronSection>(
  {
    name: 'taskotron',
    description: 'Taskotron: trigger rules over Fedora messages, checks and ResultsDB results',
    section: taskotronSection,
    // The trigger's Fedora topics (production and staging), the jobs it publishes, and the
    // fuses it queues itself for Koji tag changes.
    topics: [
      ...[...Object.keys(triggerTopics('prod')), ...Object.keys(triggerTopics('stg'))].map(
        (topic) => ({ topic }),
      ),
      { topic: JOB_TOPIC },
      { topic: FUSE_TOPIC, internal: true },
    ],
    // The commands' definitions alone: their actions import the runner and job log when they run.
    commands: async (env) => [(await import('./cli.js')).taskotronCommand(env)],
  },
  async () => (await import('./parts.js')).taskotronParts,
);
