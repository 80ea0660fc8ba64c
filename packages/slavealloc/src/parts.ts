import type { AutomationEnv, AutomationParts } from '@loopabull/core/cli';
import { describeTables } from '@loopabull/database';
import { openSlaveallocDb } from './db.js';
import { MIGRATION_OWNER, slaveallocMigrations } from './migrations.js';
import type { SlaveallocTables } from './tables.js';
import { busEvents } from './events.js';
import { enableHandler } from './handler.js';
import { slaveallocRoutes } from './routes.js';
import type { SlaveallocSection } from './section.js';
import { Slavealloc } from './service.js';

/** The database answers and holds slaves and masters to allocate; it changes nothing. */
const databaseCheck = ({ config, logger }: AutomationEnv<SlaveallocSection>) => ({
  name: 'slavealloc',
  fix: 'check database.url; load slaves with `loopabull slavealloc dbimport` or `dbload`',
  probe: () =>
    describeTables(
      config.database.url,
      { baseDir: config.dir, logger },
      (dialect) => ({ [MIGRATION_OWNER]: slaveallocMigrations(dialect) }),
      async (db) => {
        const k = db.kysely.withTables<SlaveallocTables>();
        const count = async (table: 'slaves' | 'masters') =>
          Number(
            (
              await k
                .selectFrom(table)
                .select((eb) => eb.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
        return `${await count('slaves')} slaves and ${await count('masters')} masters in ${db.url}`;
      },
    ),
});

/** What the slavealloc automation does, imported by the processes that use it (automation.ts). */
export const slaveallocParts: AutomationParts<SlaveallocSection> = {
  doctor: (env) => [databaseCheck(env)],
  async start({ config, section, logger }) {
    const db = await openSlaveallocDb(config.database.url, config.dir, logger);
    const events = busEvents(config, section.events, logger);
    const service = new Slavealloc(db, section, events.sink);
    return {
      handlers: { disable: enableHandler(service, false), enable: enableHandler(service, true) },
      routes: slaveallocRoutes(service, logger),
      async stop() {
        await events.close();
        await db.close();
      },
    };
  },
};
