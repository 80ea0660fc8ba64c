/** A result as "latest" weighs it: its testcase, time, and its values of the distinguishing keys. */
export interface Candidate {
  id: number;
  testcase_name: string;
  submit_time: string;
}

/**
 * The newest result (by submit_time, then id) of each testcase and combination of the values of
 * `keys` in its data (pure). A result without a key counts as having none of its values, so it
 * stands for its own combination, as ResultsDB's `_distinct_on` groups a missing key as null. The
 * ids come out ordered by testcase, then combination.
 */
export function newestPerCombination(
  candidates: readonly Candidate[],
  data: ReadonlyArray<{ result_id: number; data_key: string; data_value: string }>,
  keys: readonly string[],
): number[] {
  const values = new Map<number, Map<string, string[]>>();
  for (const d of data) {
    const byKey = values.get(d.result_id) ?? new Map<string, string[]>();
    byKey.set(d.data_key, [...(byKey.get(d.data_key) ?? []), d.data_value].sort());
    values.set(d.result_id, byKey);
  }
  const newest = new Map<string, Candidate>();
  for (const c of candidates) {
    const combination = JSON.stringify([
      c.testcase_name,
      ...keys.map((k) => values.get(c.id)?.get(k) ?? null),
    ]);
    const kept = newest.get(combination);
    if (!kept || later(c, kept)) newest.set(combination, c);
  }
  return [...newest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, c]) => c.id);
}

const later = (a: Candidate, b: Candidate) =>
  a.submit_time > b.submit_time || (a.submit_time === b.submit_time && a.id > b.id);
