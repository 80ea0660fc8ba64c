import type { Redis } from 'ioredis';
import { isObject, type JsonObject } from '@loopabull/core/cli';
import { idWord } from './identity.js';
import { HARDWARE_KEYS } from './keys.js';
import { SCRIPTS } from './lua.js';
import { MAX_CLOCK_SKEW_SECONDS } from './observation.js';
import { shown } from './problems.js';
import { dateToMicros, formatLastseen, normalizeTimestamp } from './timestamp.js';

export interface PreloadResult {
  new: number;
  updated: number;
  skipped: number;
  invalid: number;
  /** Why entries were invalid, by their index in the input: the first `MAX_REJECTED`. */
  rejected: Array<{ index: number; reason: string }>;
}

const PRELOAD_BATCH = 500;
const MAX_REJECTED = 100;

const ID_RULE = '1 to 128 characters of A-Z a-z 0-9 _ . -';

/**
 * Why a field of an entry cannot be used. A missing field is said to be missing: "lastseen
 * missing is not a timestamp" would read as a value of "missing".
 */
const fieldProblem = (entry: JsonObject, field: string, expected: string) => ({
  ok: false as const,
  reason:
    entry[field] === undefined
      ? `${field} is missing`
      : `${field} ${shown(entry[field])} is not ${expected}`,
});

/** What is wrong with one `/machines` entry, or its id and stored-shape time. */
function checkEntry(
  entry: unknown,
  latest: string,
): { ok: true; id: string; time: string } | { ok: false; reason: string } {
  if (!isObject(entry)) return { ok: false, reason: `${shown(entry)} is not an object` };
  const dc = idWord(entry.datacenter);
  if (!dc) return fieldProblem(entry, 'datacenter', ID_RULE);
  const host = idWord(entry.machine);
  if (!host) return fieldProblem(entry, 'machine', ID_RULE);
  const time = typeof entry.lastseen === 'string' ? normalizeTimestamp(entry.lastseen) : null;
  if (!time) return fieldProblem(entry, 'lastseen', 'a timestamp');
  // Both are fixed-width UTC times: text order is time order.
  if (time > latest)
    return {
      ok: false,
      reason: `lastseen ${shown(entry.lastseen)} is more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes ahead of now`,
    };
  return { ok: true, id: `${dc}:${host}`, time };
}

/**
 * Loads entries in the `/machines` format. Unlike the original's preload_redis.py, a stored
 * time that is as new or newer is kept, and entries that are not machines are counted with the
 * reason, not written.
 * A time further ahead of `now` than an event's may be is invalid too: lastseen never moves back,
 * so a typo'd year would pin the machine as seen until then.
 */
export async function preload(
  redis: Redis,
  entries: readonly unknown[],
  now = new Date(),
): Promise<PreloadResult> {
  const result: PreloadResult = { new: 0, updated: 0, skipped: 0, invalid: 0, rejected: [] };
  const latest = formatLastseen(dateToMicros(now) + MAX_CLOCK_SKEW_SECONDS * 1e6);
  const pairs: string[] = [];
  entries.forEach((entry, index) => {
    const checked = checkEntry(entry, latest);
    if (checked.ok) pairs.push(checked.id, checked.time);
    else if (result.invalid++ < MAX_REJECTED)
      result.rejected.push({ index, reason: checked.reason });
  });
  for (let i = 0; i < pairs.length; i += PRELOAD_BATCH * 2) {
    const codes = (await SCRIPTS.preload.run(
      redis,
      [HARDWARE_KEYS.lastseen, HARDWARE_KEYS.lastseenVersion],
      pairs.slice(i, i + PRELOAD_BATCH * 2),
    )) as number[];
    for (const code of codes) {
      if (code === 0) result.new++;
      else if (code === 1) result.updated++;
      else result.skipped++;
    }
  }
  return result;
}
