/** A result as "latest" weighs it: its testcase, time, and its values of the distinguishing keys. */
export interface Candidate {
  id: number;
  testcase_name: string;
  submit_time: string;
}

/**
 * The most combinations one result stands for: a result may hold 1000 values of each key, and
 * `_distinct_on` name 100 keys.
 */
const MAX_PICKS = 1000;

/**
 * The newest result (by submit_time, then id) of each testcase and combination of the values of
 * `keys` in its data (pure), as ResultsDB's `_distinct_on` joins each key's rows: a result with
 * several values of a key stands for each of them (one with `arch` x86_64 and i386 is the newest
 * x86_64 result and the newest i386 one if none newer is), and one without a key for the value
 * null. Each result comes once, the ids ordered by testcase, then combination.
 */
export function newestPerCombination(
  candidates: readonly Candidate[],
  data: ReadonlyArray<{ result_id: number; data_key: string; data_value: string }>,
  keys: readonly string[],
): number[] {
  const values = new Map<number, Map<string, string[]>>();
  for (const d of data) {
    const byKey = values.get(d.result_id) ?? new Map<string, string[]>();
    values.set(d.result_id, byKey);
    const list = byKey.get(d.data_key) ?? [];
    byKey.set(d.data_key, list);
    list.push(d.data_value);
  }
  const newest = new Map<string, Candidate>();
  for (const c of candidates) {
    const of = keys.map((k) => [...new Set(values.get(c.id)?.get(k) ?? [null])].sort());
    // Every pick of one value (or null) per key: the rows ResultsDB's outer joins make of it;
    // past MAX_PICKS, the result's sets of values as one combination of their own.
    let combinations: unknown[][] = [[c.testcase_name]];
    if (of.reduce((n, vs) => n * vs.length, 1) > MAX_PICKS) combinations = [[c.testcase_name, of]];
    else
      for (const vs of of)
        combinations = combinations.flatMap((picked) => vs.map((v) => [...picked, v]));
    for (const picked of combinations) {
      const combination = JSON.stringify(picked);
      const kept = newest.get(combination);
      if (!kept || later(c, kept)) newest.set(combination, c);
    }
  }
  const ids = [...newest.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, c]) => c.id);
  return [...new Set(ids)];
}

const later = (a: Candidate, b: Candidate) =>
  a.submit_time > b.submit_time || (a.submit_time === b.submit_time && a.id > b.id);
