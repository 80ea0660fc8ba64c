import type {
  BatchContext,
  BatchHandler,
  Handler,
  HandlerContext,
  LoopabullEvent,
} from '@loopabull/core';
import { MachineStore } from './machine-store.js';
import { observe } from './observation.js';
import type { WorkerObservation } from './recording.js';
import { hardwareSettings } from './section.js';

/** What a run of the handler stored, as the job's result. */
export type HardwareResult =
  | { ignored: string }
  | {
      recorded: 'no worker';
      state: string;
      task_id: string | null;
      duplicate: boolean;
      problems: string[];
    }
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
      problems: string[];
    };

type Outcome = HardwareResult | { pending: number } | Error;

/** What recording needs of a handler's context, single or batch. */
type RecordingContext = Pick<BatchContext, 'config' | 'redis' | 'logger' | 'log'>;

/**
 * Records the events in order: the observations of workers in one script call. Bad data is
 * recorded or ignored with a reason and never fails; a Redis failure is the Error of the events
 * it hit, so that their jobs alone are retried: when the one call fails, each observation is
 * recorded on its own (a key another program made of the wrong type held every machine of the
 * batch back for minutes of retries, where it now holds back its own machine's event).
 */
async function recordEvents(
  events: readonly LoopabullEvent[],
  ctx: RecordingContext,
): Promise<Array<HardwareResult | Error>> {
  const { provisioner } = hardwareSettings(ctx.config);
  const store = new MachineStore(ctx.redis);
  const observed: WorkerObservation[] = [];
  const outcomes: Outcome[] = await Promise.all(
    events.map(async (event, i): Promise<Outcome> => {
      const seen = observe(event, provisioner);
      if (!seen.ok) {
        ctx.logger.debug('hardware: message ignored', { reason: seen.ignored, topic: event.topic });
        return { ignored: seen.ignored };
      }
      const obs = seen.observation;
      if (obs.problems.length) {
        // Bad data never fails the job, so this is where an operator learns which field it was.
        ctx.logger.warn('hardware: message fields not used', {
          topic: event.topic,
          routing_key: event.routing_key,
          problems: obs.problems.join('; '),
        });
        await ctx.log(i, `not used: ${obs.problems.join('; ')}`);
      }
      if (obs.worker === null) {
        const fresh = await store.recordUnattributed(obs).catch((err: Error) => err);
        if (fresh instanceof Error) return fresh;
        ctx.logger.info('hardware: message names no worker', {
          state: obs.state,
          task: obs.taskId,
          reason: obs.reason,
        });
        return {
          recorded: 'no worker',
          state: obs.state,
          task_id: obs.taskId,
          duplicate: !fresh,
          problems: obs.problems,
        };
      }
      observed.push({ ...obs, worker: obs.worker });
      return { pending: observed.length - 1 };
    }),
  );
  const recorded = await store.recordMany(observed).catch(() =>
    Promise.all(
      observed.map((obs) =>
        store.recordMany([obs]).then(
          ([one]) => one!,
          (err: Error) => err,
        ),
      ),
    ),
  );
  return Promise.all(
    outcomes.map(async (outcome, i) => {
      if (outcome instanceof Error || !('pending' in outcome)) return outcome;
      const obs = observed[outcome.pending]!;
      const result = recorded[outcome.pending]!;
      if (result instanceof Error) return result;
      await ctx.log(
        i,
        `${obs.worker.id} ${obs.state}${obs.reason ? ` (${obs.reason})` : ''} at ${obs.time} [${obs.timeSource} time]` +
          (result.duplicate
            ? ': redelivery, nothing changed'
            : result.lastseenUpdated
              ? ': lastseen updated'
              : ''),
      );
      return {
        recorded: 'machine' as const,
        machine: obs.worker.id,
        state: obs.state,
        alive: obs.alive,
        time: obs.time,
        time_source: obs.timeSource,
        lastseen: result.lastseen,
        lastseen_updated: result.lastseenUpdated,
        duplicate: result.duplicate,
        problems: obs.problems,
      };
    }),
  );
}

/** The handler for `taskcluster-queue.v1.task-{running,completed,failed,exception}`. */
export const hardwareHandler: Handler = async (
  event: LoopabullEvent,
  ctx: HandlerContext,
): Promise<HardwareResult> => {
  const [result] = await recordEvents([event], { ...ctx, log: (_, line) => ctx.log(line) });
  if (result instanceof Error) throw result;
  return result!;
};

/** `hardwareHandler` for a batch of events: one Redis script call for all their observations. */
export const hardwareBatchHandler: BatchHandler = (events, ctx) => recordEvents(events, ctx);
