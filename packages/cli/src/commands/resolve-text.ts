import type { Binding } from '@loopabull/core';
import type { Resolution } from '@loopabull/worker';

/** Whether a topic's messages get as far as a worker, as `loopabull resolve` says it. */
export interface Reach {
  /** `routing_keys` does not list the topic: the looper drops its messages. */
  filtered: boolean;
  /** The configured `bus.bindings` when none of them delivers the topic, else null. */
  unbound: readonly Binding[] | null;
}

/** What would run for a delivered message: the file and why, else every path tried. */
function automationText(r: Resolution): string {
  if (r.found) return `${r.found.file}\n  ${r.found.kind}: ${r.found.why}\n`;
  return `unrouted: no automation for ${r.topic}\n  tried: ${r.tried.join('\n         ')}\n`;
}

/** What happens to a message the looper receives: its filter, then the automation. */
function deliveredText(r: Resolution, filtered: boolean): string {
  if (!filtered) return automationText(r);
  return (
    `filtered: routing_keys does not list ${r.topic}: the looper drops its messages, nothing runs\n` +
    `  without the filter: ${r.found ? r.found.file : 'no automation'}\n`
  );
}

const listed = (bindings: readonly Binding[]): string =>
  bindings.length === 0
    ? 'there are none'
    : bindings.map((b) => `${b.routing_key} on ${b.exchange}`).join(', ');

/**
 * `loopabull resolve`'s text. An unbound topic is said first, since the broker decides before
 * the looper does; what the rest would do follows, indented under it, so that an operator who
 * is about to add the binding sees what it will run.
 */
export function resolveText(r: Resolution, reach: Reach): string {
  const delivered = deliveredText(r, reach.filtered);
  if (!reach.unbound) return delivered;
  return (
    `unbound: bus.bindings do not match ${r.topic} (${listed(reach.unbound)}): its messages never reach the looper, nothing runs\n` +
    `  if it were delivered: ${delivered.replaceAll(/\n(?=.)/g, '\n  ')}`
  );
}
