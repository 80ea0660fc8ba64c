import { serializeResult, type NewResult, type StoredResult } from './api.js';
import type { ResultFilter } from './filters.js';

/** ResultsDB's topic for every stored result (`<modname>.result.new`, part E.8). */
export const RESULT_NEW_TOPIC = 'resultsdb.result.new';
/** The legacy Taskotron topic, sent only when the outcome changed. */
export const TASKOTRON_RESULT_NEW_TOPIC = 'taskotron.result.new';

/**
 * The topic an event goes out on: fedmsg named ResultsDB's `<topic_prefix>.<environment>.` +
 * topic (`org.fedoraproject.prod.resultsdb.result.new`), which Bodhi and Greenwave bind to;
 * `prefix` (`taskotron.events_topic_prefix`) gives that name, null the bare topic.
 */
export const eventTopic = (prefix: string | null, topic: string): string =>
  prefix === null ? topic : `${prefix}.${topic}`;

/** The data keys that make results "the same" for the previous outcome (ResultsDB's get_prev_result). */
const SAME = ['item', 'type', 'arch'];

/**
 * What selects the result before `r`: the same testcase, and each of its item, type and arch
 * values (all of them, as ResultsDB joined one per value).
 */
export function previousFilter(r: Pick<NewResult, 'testcase' | 'data'>): ResultFilter {
  return {
    testcases: [r.testcase.name],
    data: r.data
      .filter(([key]) => SAME.includes(key))
      .map(([key, value]) => ({ key, values: [value], like: false })),
  };
}

/** `2016-08-15 13:29:06 UTC`: the legacy message's time format. */
const legacyTime = (stored: string) => `${stored.slice(0, 10)} ${stored.slice(11, 19)} UTC`;

/**
 * The bus events of a stored result, as ResultsDB sent them: `resultsdb.result.new` with the
 * result's JSON, always; `taskotron.result.new` (`{task, result}` with `prev_outcome`) unless the
 * previous result of the same testcase, item, type and arch had the same outcome (ResultsDB
 * kept depcheck from spamming that way). `base` is the API's URL, for the hrefs.
 */
export function resultEvents(
  stored: StoredResult,
  previous: Pick<StoredResult, 'outcome'> | null,
  base: string,
): Array<{ topic: string; body: unknown }> {
  const events: Array<{ topic: string; body: unknown }> = [
    { topic: RESULT_NEW_TOPIC, body: serializeResult(stored, base) },
  ];
  if (previous?.outcome === stored.outcome) return events;
  // ResultsDB's dict() of the (key, value) rows: of several values of a key, the last stays.
  const last = (key: string) => stored.data[key]?.at(-1);
  events.push({
    topic: TASKOTRON_RESULT_NEW_TOPIC,
    body: {
      task: {
        ...(last('item') !== undefined ? { item: last('item') } : {}),
        ...(last('type') !== undefined ? { type: last('type') } : {}),
        name: stored.testcase.name,
      },
      result: {
        id: stored.id,
        submit_time: legacyTime(stored.submit_time),
        prev_outcome: previous?.outcome ?? null,
        outcome: stored.outcome,
        log_url: stored.ref_url,
      },
    },
  });
  return events;
}
