import { z } from 'zod';
import {
  jobIdFor,
  sha256Text,
  PermanentError,
  WorkQueue,
  type Handler,
  type HandlerContext,
  type LoopabullEvent,
} from '@loopabull/core';
import { schedule, type TriggerOptions, type TriggerSource } from './trigger.js';
import { FUSE_TOPIC } from './topics.js';

export { FUSE_TOPIC };

/** What a fuse job carries: the message that lit it. */
const fuseBody = z.object({
  topic: z.string().min(1),
  id: z.string().nullable(),
  body: z.unknown(),
  tag: z.string().min(1),
});

/** The job that schedules a tag's checks once its fuse has burnt, lit by `event` (pure). */
export function fuseEvent(event: LoopabullEvent, tag: string, now: Date): LoopabullEvent {
  return {
    id: `taskotron-fuse-${event.id}`,
    topic: FUSE_TOPIC,
    body: { topic: event.topic, id: event.id, body: event.body, tag },
    headers: {},
    exchange: '',
    routing_key: FUSE_TOPIC,
    sent_at: null,
    received_at: now.toISOString(),
  };
}

/** One fuse per tag at a time: BullMQ's deduplication id. */
export const fuseId = (tag: string) => 'taskotron-fuse-' + sha256Text(tag).slice(0, 40);

/**
 * Koji tags a build into a tag many times in a few minutes (a mass rebuild, a Bodhi push); one
 * check of the tag after the burst is what Taskotron's `fuse_delay` gave. The first message of a
 * tag adds a delayed job on the work queue, `taskotron.fuse`, due `delay` seconds later; BullMQ
 * deduplicates by tag for as long, so later messages of the burst add nothing. The fuse lives in
 * Redis as a delayed job: it survives worker restarts. A redelivered message maps to the same job
 * id, so it adds nothing either, even after the fuse has burnt.
 */
export class TagFuse {
  private queue: WorkQueue | undefined;

  constructor(private readonly delaySeconds: number) {}

  async light(
    event: LoopabullEvent,
    tag: string,
    ctx: Pick<HandlerContext, 'config' | 'redis'>,
  ): Promise<{ job: string; fires_at: string; lit: boolean }> {
    this.queue ??= new WorkQueue(ctx.config, ctx.redis);
    const fuse = fuseEvent(event, tag, new Date());
    const burning = await this.queue.enqueueDelayed(fuse, this.delaySeconds * 1000, fuseId(tag));
    return {
      job: burning.id,
      fires_at: new Date(burning.runsAt).toISOString(),
      lit: burning.id === jobIdFor(fuse.id),
    };
  }

  async close(): Promise<void> {
    await this.queue?.close();
  }
}

/** The `fuse` handler: a burnt fuse schedules as the message that lit it would have. */
export function fuseHandler(options: TriggerOptions): Handler {
  return async (event, ctx) => {
    const parsed = fuseBody.safeParse(event.body);
    if (!parsed.success)
      throw new PermanentError(
        `not a taskotron fuse job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    const { topic, id, body } = parsed.data;
    const source: TriggerSource = { topic, id, body };
    return schedule(source, ctx, options);
  };
}
