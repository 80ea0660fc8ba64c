import { BusPublisher, type AutomationEnv, type Config } from '@loopabull/core';
import type { Database } from '@loopabull/database';
import type { JobLog } from './job-log.js';
import { joinUrl } from './join-url.js';
import { localSink, remoteSink } from './results-sink.js';
import { taskotronRoutes } from './resultsdb/mount.js';
import { eventTopic } from './resultsdb/events.js';
import { ResultsRecorder } from './resultsdb/recorder.js';
import { API } from './resultsdb/routes.js';
import { ResultsStore } from './resultsdb/store.js';
import { namespacePolicy } from './namespaces.js';
import { taskotronRun } from './run-job.js';
import { artifactsUrl, taskotronPaths, type TaskotronSection } from './section.js';

/**
 * The built-in ResultsDB's public URL, for the hrefs of result events: `resultsdb_public_url`,
 * else under the origin of `artifactsUrl` (`loopabull serve` serves both).
 */
export const builtinApiUrl = (env: {
  config: { http: Pick<Config['http'], 'host' | 'port'> };
  section: Pick<TaskotronSection, 'artifacts_url' | 'resultsdb_public_url'>;
}): string => env.section.resultsdb_public_url ?? joinUrl(new URL(artifactsUrl(env)).origin, API);

/**
 * The runner's side of the automation in one process, on the automation's database and job
 * log: the results store (built-in, with its events on the bus, or a remote ResultsDB), the
 * `taskotron.job` handler and the routes.
 */
export async function startRunner(
  env: AutomationEnv<TaskotronSection>,
  db: Database,
  jobs: JobLog,
) {
  const { section, config, logger } = env;
  const paths = taskotronPaths(env);
  const artifacts = artifactsUrl(env);
  const publisher = new BusPublisher(config);
  const recorder =
    section.resultsdb_url === null
      ? new ResultsRecorder(
          await ResultsStore.open(db),
          (topic, body) => publisher.publish(eventTopic(section.events_topic_prefix, topic), body),
          builtinApiUrl(env),
          logger,
        )
      : null;
  const sink = recorder
    ? localSink(recorder)
    : remoteSink(section.resultsdb_url!, section.resultsdb_token);
  return {
    jobs,
    sink,
    run: taskotronRun({
      config,
      checkTimeout: section.check_timeout,
      git: { timeoutSeconds: section.git_timeout, cacheDir: paths.gitCacheDir },
      supportedArches: section.valid_arches,
      tasksDir: paths.tasksDir,
      artifactsDir: paths.artifactsDir,
      artifactsUrl: artifacts,
      jobs,
      sink,
      namespaces: namespacePolicy(env),
    }),
    routes: taskotronRoutes({
      recorder,
      artifactsDir: paths.artifactsDir,
      artifactsUrl: artifacts,
      jobLog: jobs,
      section,
    }),
    async stop() {
      await recorder?.flush();
      await publisher.close();
    },
  };
}
