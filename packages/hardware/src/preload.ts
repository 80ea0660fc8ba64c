import type { Redis } from 'ioredis';
import { isObject } from '@loopabull/core';
import { idWord } from './identity.js';
import { HARDWARE_KEYS } from './keys.js';
import { SCRIPTS } from './lua.js';
import { normalizeTimestamp } from './timestamp.js';

export interface PreloadResult {
  new: number;
  updated: number;
  skipped: number;
  invalid: number;
}

const PRELOAD_BATCH = 500;

/**
 * Loads entries in the `/machines` format. Unlike the original's preload_redis.py, a stored
 * time that is as new or newer is kept, and entries that are not machines are counted, not written.
 */
export async function preload(redis: Redis, entries: readonly unknown[]): Promise<PreloadResult> {
  const result: PreloadResult = { new: 0, updated: 0, skipped: 0, invalid: 0 };
  const pairs: string[] = [];
  for (const entry of entries) {
    const dc = isObject(entry) ? idWord(entry.datacenter) : null;
    const host = isObject(entry) ? idWord(entry.machine) : null;
    const time =
      isObject(entry) && typeof entry.lastseen === 'string'
        ? normalizeTimestamp(entry.lastseen)
        : null;
    if (!dc || !host || !time) result.invalid++;
    else pairs.push(`${dc}:${host}`, time);
  }
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
