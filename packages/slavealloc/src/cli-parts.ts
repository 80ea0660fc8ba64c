/**
 * What the `loopabull slavealloc` commands' actions run: imported when one runs (cli.ts), since
 * it loads the database drivers and the bus, which the commands' definitions and `--help` need
 * not (docs/benchmarks.md, "CLI start-up").
 */
export { createLogger } from '@loopabull/core';
export { apiBackend, dbBackend, openExistingDb } from './cli-backend.js';
export { openSlaveallocDb, transaction } from './db.js';
export { countRows, dumpData, loadData, parseDump, wipe } from './dump.js';
export { importRows, readImport } from './importer.js';
