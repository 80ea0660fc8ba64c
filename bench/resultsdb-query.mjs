// `node bench/resultsdb-query.mjs [RESULTS]` (after `npm run build`): the built-in ResultsDB's
// reads by data value on a SQLite store of RESULTS results (200,000 by default; 20 testcases,
// an item per 20 results, each with item, type and arch data, as the runner stores them), made
// once in a temporary directory. Prints the median of five runs of each read Bodhi and
// Greenwave make: `/results/latest?item=X&type=koji_build`, the same with `_distinct_on=arch`,
// and `/results?item=X`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createLogger } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { ResultsStore } from '@loopabull/taskotron';
import { median } from './lib.mjs';

const RESULTS = Number(process.argv[2] ?? 200_000);
const TESTCASES = 20;
const ROUNDS = 5;

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-resultsdb-'));
const db = await Database.open(`sqlite:///${join(dir, 'results.db')}`, {
  baseDir: dir,
  logger: createLogger('database', 'error'),
});
try {
  const store = await ResultsStore.open(db);
  const k = db.kysely;
  const item = (i) => `bench-${Math.floor(i / TESTCASES)}-1.fc40`;
  for (let t = 0; t < TESTCASES; t++)
    await sql`insert into taskotron_testcases (name) values (${`dist.bench${t}`})`.execute(k);
  await sql`begin`.execute(k);
  for (let i = 1; i <= RESULTS; i++) {
    const time = new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString().slice(0, 23) + '000';
    await sql`insert into taskotron_results (id, testcase_name, outcome, submit_time)
      values (${i}, ${`dist.bench${i % TESTCASES}`}, 'PASSED', ${time})`.execute(k);
    await sql`insert into taskotron_result_data (result_id, data_key, data_value)
      values (${i}, 'item', ${item(i)}), (${i}, 'type', 'koji_build'),
        (${i}, 'arch', ${i % 2 ? 'x86_64' : 'noarch'})`.execute(k);
  }
  await sql`commit`.execute(k);

  const filter = (i) => ({
    data: [
      { key: 'item', values: [item(i)], like: false },
      { key: 'type', values: ['koji_build'], like: false },
    ],
  });
  const reads = {
    'latest?item=X&type=koji_build': (i) => store.latest(filter(i)),
    'latest?item=X&type=koji_build&_distinct_on=arch': (i) => store.latest(filter(i), ['arch']),
    'results?item=X': (i) => store.list(filter(i), { page: 0, limit: 20 }),
  };
  console.log(`${RESULTS} results on SQLite, median of ${ROUNDS} (ms):`);
  for (const [name, read] of Object.entries(reads)) {
    const times = [];
    for (let r = 0; r < ROUNDS + 1; r++) {
      const started = performance.now();
      await read(RESULTS / 2 + r * TESTCASES * 7);
      // The first warms up.
      if (r > 0) times.push(performance.now() - started);
    }
    console.log(`  ${name.padEnd(50)} ${median(times).toFixed(1)}`);
  }
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
