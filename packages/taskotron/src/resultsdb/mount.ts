import type { RouteModule } from '@loopabull/server';
import type { JobLog } from '../job-log.js';
import { TASKOTRON_PAGE } from '../page.js';
import { registerPage } from '../page-route.js';
import type { TaskotronSection } from '../section.js';
import type { ResultsRecorder } from './recorder.js';
import { answerUndecodable, resultsdbRoutes } from './routes.js';

/**
 * What `loopabull serve` mounts for taskotron, on the automation's database (opened once per
 * process by its start): the jobs' artifacts, the page for people, and the built-in ResultsDB
 * when results are kept here (`recorder`; null when they go to `resultsdb_url`).
 */
export const taskotronRoutes = (opts: {
  recorder: ResultsRecorder | null;
  artifactsDir: string;
  /** `artifactsUrl`: the page links each job's artifacts under it. */
  artifactsUrl: string;
  jobLog: JobLog;
  section: TaskotronSection;
}): RouteModule => ({
  name: 'taskotron',
  dashboard: TASKOTRON_PAGE,
  // ResultsDB (Flask-RESTful) answers errors as {"message": ...}, and its clients read that:
  // at `/api/v2.0` (the landing page) too.
  ...(opts.recorder
    ? {
        errors: { under: '/api/v2.0', body: (message) => ({ message }) },
        // A path whose escapes the router cannot decode is routed as Flask routes it.
        misses: [{ under: '/api/v2.0/', answer: answerUndecodable }],
        // resultsdb_api's `ResultsDBapi(url, auth_token=...)` posts its token in the body.
        bodyToken: { under: '/api/v2.0/', key: '_auth_token' },
      }
    : {}),
  async register(app, deps) {
    // Imported here: @fastify/static is for the server, not for the workers that start taskotron.
    const { registerArtifacts } = await import('../artifacts-routes.js');
    await registerArtifacts(app, opts.artifactsDir);
    const { recorder, jobLog, section, artifactsUrl } = opts;
    if (recorder)
      await resultsdbRoutes(recorder.store, {
        record: (r) => recorder.record(r),
        additionalOutcomes: section.additional_outcomes,
        publicUrl: section.resultsdb_public_url,
      }).register(app, deps);
    registerPage(app, {
      jobLog,
      store: recorder?.store ?? null,
      remote: section.resultsdb_url,
      artifactsUrl,
      links: deps.pages,
    });
  },
});
