import type { Database } from '@loopabull/database';
import type { RouteModule } from '@loopabull/server';
import type { JobLog } from '../job-log.js';
import { TASKOTRON_PAGE } from '../page.js';
import { registerPage } from '../page-route.js';
import type { TaskotronSection } from '../section.js';
import { resultsdbRoutes } from './routes.js';
import { ResultsStore } from './store.js';

/**
 * What `loopabull serve` mounts for taskotron, on the automation's database (opened once per
 * process by its start): the page for people, and the built-in ResultsDB unless results go to
 * `resultsdb_url`, its tables brought up to date first.
 */
export const taskotronRoutes = (
  db: Database,
  jobLog: JobLog,
  section: TaskotronSection,
): RouteModule => ({
  name: 'taskotron',
  dashboard: TASKOTRON_PAGE,
  async register(app, deps) {
    const store = section.resultsdb_url === null ? await ResultsStore.open(db) : null;
    if (store) await resultsdbRoutes(store).register(app, deps);
    registerPage(app, { jobLog, store, section });
  },
});
