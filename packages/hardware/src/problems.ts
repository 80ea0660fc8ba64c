/**
 * Words for the fields of a message that were there but could not be used. The handler never
 * fails on bad data, so without these an operator could not tell why a machine was taken from
 * the routing key or stamped with the receive time (pure).
 */

/** Long enough to recognise a value, short enough that a megabyte string stays one log line. */
const SHOWN_MAX = 60;

/** A value as JSON, cut to `SHOWN_MAX` characters; JSON escapes control characters and markup is only ever text. */
export function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > SHOWN_MAX
    ? `${json.slice(0, SHOWN_MAX)}… (${json.length} characters)`
    : json;
}

/** What a JSON value is, for "is an array, not an object". */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Where a note is collected; observe passes one, other callers of `taskIds` need none. */
export type ProblemSink = string[];

export const notAnId = (path: string, value: unknown): string =>
  `${path} ${shown(value)} is not an id (1 to 128 of A-Z a-z 0-9 _ . -)`;
