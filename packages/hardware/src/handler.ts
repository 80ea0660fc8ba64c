import type { Handler, HandlerContext, LoopabullEvent } from '@loopabull/core';
import { MachineStore } from './machine-store.js';
import { observe } from './observation.js';
import { hardwareSettings } from './section.js';

/** What a run of the handler stored, as the job's result. */
export type HardwareResult =
  | { ignored: string }
  | { recorded: 'no worker'; state: string; task_id: string | null; duplicate: boolean }
  | {
      recorded: 'machine';
      machine: string;
      state: string;
      alive: boolean;
      time: string;
      time_source: 'event' | 'received';
      lastseen: string | null;
      lastseen_updated: boolean;
      duplicate: boolean;
    };

/**
 * The handler for `taskcluster-queue.v1.task-{running,completed,failed,exception}`. Bad data is
 * recorded or ignored with a reason and never throws; only a Redis failure does, so the job
 * is retried.
 */
export const hardwareHandler: Handler = async (
  event: LoopabullEvent,
  ctx: HandlerContext,
): Promise<HardwareResult> => {
  const { enabled, provisioner } = hardwareSettings(ctx.config);
  if (!enabled) return { ignored: 'hardware is disabled in the configuration' };
  const observed = observe(event, provisioner);
  if (!observed.ok) {
    ctx.logger.debug('hardware: message ignored', { reason: observed.ignored, topic: event.topic });
    return { ignored: observed.ignored };
  }
  const obs = observed.observation;
  const store = new MachineStore(ctx.redis);
  if (obs.worker === null) {
    const fresh = await store.recordUnattributed(obs);
    ctx.logger.info('hardware: message names no worker', {
      state: obs.state,
      task: obs.taskId,
      reason: obs.reason,
    });
    return { recorded: 'no worker', state: obs.state, task_id: obs.taskId, duplicate: !fresh };
  }
  const result = await store.record({ ...obs, worker: obs.worker });
  await ctx.log(
    `${obs.worker.id} ${obs.state}${obs.reason ? ` (${obs.reason})` : ''} at ${obs.time} [${obs.timeSource} time]` +
      (result.duplicate
        ? ': redelivery, nothing changed'
        : result.lastseenUpdated
          ? ': lastseen updated'
          : ''),
  );
  return {
    recorded: 'machine',
    machine: obs.worker.id,
    state: obs.state,
    alive: obs.alive,
    time: obs.time,
    time_source: obs.timeSource,
    lastseen: result.lastseen,
    lastseen_updated: result.lastseenUpdated,
    duplicate: result.duplicate,
  };
};
