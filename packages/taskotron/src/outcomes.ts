/** Outcomes a check may report (checkb's CheckDetail), lowest to highest priority. */
export const CHECK_OUTCOMES = [
  'PASSED',
  'INFO',
  'FAILED',
  'NEEDS_INSPECTION',
  'ABORTED',
  'CRASHED',
] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

/** Outcomes ResultsDB v2.0 accepts; more by configuration (`ADDITIONAL_RESULT_OUTCOMES`). */
export const RESULTSDB_OUTCOMES = ['PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION'] as const;

/** runtask's exit code: 0 when every outcome is PASSED or INFO (none is 0 too), else 100. */
export const exitCodeOf = (outcomes: readonly string[]): 0 | 100 =>
  outcomes.every((o) => o === 'PASSED' || o === 'INFO') ? 0 : 100;

/** "3 PASSED, 1 INFO, 2 FAILED": checkb's summary of several results, in priority order. */
export function outcomeSummary(outcomes: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  const order = (o: string) => {
    const i = (CHECK_OUTCOMES as readonly string[]).indexOf(o);
    return i < 0 ? CHECK_OUTCOMES.length : i;
  };
  return [...counts]
    .sort(([a], [b]) => order(a) - order(b))
    .map(([o, n]) => `${n} ${o}`)
    .join(', ');
}
