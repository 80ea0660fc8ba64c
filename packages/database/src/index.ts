export { Database, type DatabaseOptions } from './database.js';
export type { DatabaseLogger } from './logger.js';
export { exactCollation } from './collation.js';
export { MigrationError } from './migrate.js';
export { isUniqueViolation } from './errors.js';
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseDialect,
  type DatabaseTarget,
  type SqliteTarget,
  type ServerTarget,
} from './url.js';
export type { Migration } from 'kysely';
