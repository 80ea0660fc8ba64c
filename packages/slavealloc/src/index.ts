export { slaveallocSection, slaveallocSettings, type SlaveallocSection } from './section.js';
export {
  decide,
  chooseMaster,
  choosePassword,
  type Decision,
  type AllocationInputs,
} from './allocate.js';
export { allocate, type Allocation } from './allocator.js';
export { makeTac, wantsIdleizer, TAC_VALIDITY_MARKER, type TacInput } from './tac.js';
export { pyFormat, pyRepr, pyStrRepr, ctime, TemplateError } from './python.js';
export { openSlaveallocDb, type SlaveallocDb } from './db.js';
export { slaveallocMigrations, MIGRATION_OWNER } from './migrations.js';
export { importData, type ImportInput, type ImportResult } from './importer.js';
export { Slavealloc, EVENT_TOPICS, type Via } from './service.js';
export { EventSink, busEvents } from './events.js';
export type { SlaveallocTables } from './tables.js';
export { slavealloc } from './automation.js';
export { slaveallocRoutes } from './routes.js';
export { enableHandler, type EnableResult } from './handler.js';
export { slaveallocCommand, type CliOptions } from './cli.js';
export { dumpData, loadData, parseDump, DUMP_FORMAT, DUMP_VERSION, type Dump } from './dump.js';
