import { Database } from '@loopabull/database';
import type { RouteModule } from '@loopabull/server';
import { resultsdbRoutes } from './routes.js';
import { ResultsStore } from './store.js';

/**
 * The built-in ResultsDB, mounted by `loopabull serve`: opens `database.url` (relative SQLite
 * paths from the config file's folder), brings the tables up to date, and closes it with the
 * server. Only the server opens it; workers do not need it yet.
 */
export const taskotronRoutes: RouteModule = {
  name: 'taskotron',
  async register(app, deps) {
    const db = await Database.open(deps.config.database.url, {
      baseDir: deps.config.dir,
      logger: deps.logger,
    });
    app.addHook('onClose', () => db.close());
    const store = await ResultsStore.open(db);
    await resultsdbRoutes(store).register(app, deps);
  },
};
