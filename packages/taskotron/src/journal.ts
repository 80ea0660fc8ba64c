import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckReport } from './runner.js';
import type { Submitted } from './results-sink.js';

/**
 * What a job has done so far, kept in its artifacts directory so that a retry after a store
 * outage reports the results not yet taken instead of running the check again and reporting
 * the first ones twice (checkb kept `results.yml.reported_ok` for the same reason).
 */
export interface Journal {
  /** The queue job that owns it: only a retry of that job resumes. */
  owner: string;
  report: Omit<CheckReport, 'artifacts'>;
  /** One per result reported so far, in order. */
  submitted: Submitted[];
}

const FILE = '.loopabull-journal.json';

/** The journal of `owner` in `dir`, or null (none yet, or another job's). */
export async function readJournal(dir: string, owner: string): Promise<Journal | null> {
  const text = await readFile(join(dir, FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const journal = JSON.parse(text) as Journal;
    return journal.owner === owner ? journal : null;
  } catch {
    return null; // Torn by hand: the check runs again, as if there were none.
  }
}

/** Written whole and renamed into place: a crash leaves the old journal or the new one. */
export async function writeJournal(dir: string, journal: Journal): Promise<void> {
  const path = join(dir, FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(journal));
  await rename(`${path}.tmp`, path);
}
