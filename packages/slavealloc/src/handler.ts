import { isObject, PermanentError, type Handler } from '@loopabull/core';
import { EventSink } from './events.js';
import { asciiLower } from './slave-name.js';
import type { Slavealloc } from './service.js';

export interface EnableResult {
  slave: string;
  enabled: boolean;
  /** false when the slave already was in that state. */
  changed: boolean;
}

/**
 * The slave a message names: `slave`, unqualified (a fully qualified host name from another
 * automation is cut at its first dot), lowercased as `/gettac` does.
 */
function slaveName(body: unknown): string {
  const value = isObject(body) ? body.slave : undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new PermanentError('the message needs "slave": the slave\'s name');
  return asciiLower(value.trim().split('.')[0]!);
}

/**
 * `slavealloc.slave.disable` / `.enable`: another automation (or an operator's `loopabull
 * publish`) takes a slave out or puts it back; `notes`, when given, replaces its notes. An
 * unknown slave fails at once: retrying cannot make it appear.
 */
export function enableHandler(service: Slavealloc, enabled: boolean): Handler {
  return async (event, ctx) => {
    const name = slaveName(event.body);
    const notes = isObject(event.body) ? event.body.notes : undefined;
    if (notes !== undefined && notes !== null && typeof notes !== 'string')
      throw new PermanentError('"notes" must be a string');
    const events = new EventSink(ctx.publish, ctx.logger);
    const bound = service.withEvents(events);
    const slave = await bound.get('slaves', { name });
    if (!slave) throw new PermanentError(`no slave named ${JSON.stringify(name)}`);
    if (slave.enabled === enabled) return { slave: name, enabled, changed: false };
    const result = await bound.update(
      'slaves',
      slave.slaveid as number,
      notes === undefined ? { enabled } : { enabled, notes },
      'bus',
    );
    if (!result.ok) throw new PermanentError(result.error);
    await events.flush();
    await ctx.log(`${name} ${enabled ? 'enabled' : 'disabled'}`);
    return { slave: name, enabled, changed: true } satisfies EnableResult;
  };
}
