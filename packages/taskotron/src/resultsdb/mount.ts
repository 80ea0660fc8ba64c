import type { RouteModule } from '@loopabull/server';
import { registerArtifacts } from '../artifacts-routes.js';
import type { ResultsRecorder } from './recorder.js';
import { resultsdbRoutes } from './routes.js';

/**
 * What `loopabull serve` mounts for taskotron: the jobs' artifacts, and the built-in ResultsDB
 * when results are kept here (`recorder`; null when they go to a remote ResultsDB). The
 * database is the automation's, opened once per process by `start`.
 */
export const taskotronRoutes = (opts: {
  recorder: ResultsRecorder | null;
  artifactsDir: string;
}): RouteModule => ({
  name: 'taskotron',
  async register(app, deps) {
    await registerArtifacts(app, opts.artifactsDir);
    const { recorder } = opts;
    if (recorder)
      await resultsdbRoutes(recorder.store, { record: (r) => recorder.record(r) }).register(
        app,
        deps,
      );
  },
});
