export { Database, NotCreatedYet, type DatabaseOptions } from './database.js';
export { describeTables, type OwnedMigrations } from './describe-tables.js';
export type { DatabaseLogger } from './logger.js';
export { exactCollation } from './collation.js';
export { MigrationError } from './migrate.js';
export { isUniqueViolation } from './errors.js';
// The URL's forms are the config's (core checks database.url when it loads); here too for the
// automations that open a database.
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseDialect,
  type DatabaseTarget,
  type SqliteTarget,
  type ServerTarget,
} from '@loopabull/core';
export type { Migration } from 'kysely';
