import type { Config } from '@loopabull/core';

/**
 * Mozilla Pulse lets a user declare only queues named `queue/<user>/…`, and its refusal is not
 * seen by checking the queue (a passive declaration needs no permission): the looper would retry
 * for ever. The shipped example's `queue/PULSE_USER/…` left as it is would be the usual cause.
 */
export function pulseQueueProblem(
  bus: Pick<Config['bus'], 'url' | 'queue'>,
): { problem: string; fix: string } | null {
  const url = new URL(bus.url);
  if (!/(^|\.)pulse\.mozilla\.org$/i.test(url.hostname)) return null;
  const user = decodeURIComponent(url.username);
  const prefix = `queue/${user}/`;
  if (bus.queue.startsWith(prefix) && bus.queue.length > prefix.length) return null;
  return {
    problem: `Pulse lets user ${JSON.stringify(user)} use only queues named ${prefix}…, not ${bus.queue}: the looper cannot declare it`,
    fix: `set bus.queue to ${prefix}<name>, e.g. ${prefix}${bus.queue.split('/').pop() || 'loopabull'}`,
  };
}
