import { statSync, type BigIntStats } from 'node:fs';

/**
 * A file's stat, taken at most once per turn of the event loop. Every job asks the file system
 * where its automation is and whether its handler changed: two `stat` calls, which measured 13 %
 * of a busy worker's CPU. The jobs BullMQ hands over in one turn (its replies arrive together)
 * were fetched at the same moment, so one answer serves them all; the next turn asks again, so a
 * file dropped in or edited is still seen by the next job to start after it.
 */
const thisTurn = new Map<string, BigIntStats | undefined>();

/** `statSync(path, { bigint: true, throwIfNoEntry: false })`, shared within one turn. */
export function statThisTurn(path: string): BigIntStats | undefined {
  if (thisTurn.has(path)) return thisTurn.get(path);
  const stats = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (thisTurn.size === 0) setImmediate(() => thisTurn.clear());
  thisTurn.set(path, stats);
  return stats;
}
