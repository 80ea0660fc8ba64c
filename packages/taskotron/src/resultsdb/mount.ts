import type { Database } from '@loopabull/database';
import type { RouteModule } from '@loopabull/server';
import { resultsdbRoutes } from './routes.js';
import { ResultsStore } from './store.js';

/**
 * The built-in ResultsDB, mounted by `loopabull serve` on the automation's database (opened once
 * per process by the automation's start), its tables brought up to date first.
 */
export const taskotronRoutes = (db: Database): RouteModule => ({
  name: 'taskotron',
  async register(app, deps) {
    const store = await ResultsStore.open(db);
    await resultsdbRoutes(store).register(app, deps);
  },
});
