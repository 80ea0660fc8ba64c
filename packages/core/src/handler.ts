import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import type { LoopabullEvent } from './event.js';
import type { Logger } from './logger.js';

/** What a TypeScript/JavaScript automation gets beside its event. */
export interface HandlerContext {
  /** The worker's logger, tagged with the job. */
  logger: Logger;
  /** Appends a line to the job's log (`loopabull jobs logs ID`). */
  log(line: string): Promise<void>;
  /**
   * Aborted at the run timeout (its reason a HandlerTimedOut) or when the worker stops (the job
   * then runs again): long work should watch it.
   */
  signal: AbortSignal;
  /** The worker's Redis connection. */
  redis: Redis;
  /** Publishes a follow-up event to the bus, as `loopabull publish` does. */
  publish(topic: string, body: unknown): Promise<void>;
  config: Config;
  job: { id: string; attempt: number };
  /**
   * An enabled automation's handler by the automation's name (`hardware`, …) and the handler's
   * key (`default` when omitted), so a file in the playbooks directory can hand its topic to
   * one: `export default (e, ctx) => ctx.automation('hardware')(e, ctx)`. An unknown or disabled
   * automation throws a PermanentError.
   */
  automation(name: string, key?: string): Handler;
}

/** A handler module's default export. Its return value is stored as the job's result. */
export type Handler = (event: LoopabullEvent, ctx: HandlerContext) => Promise<unknown> | unknown;

/**
 * A handler module that takes its events in batches says so beside its default export:
 * `export const batch = { max: 500, wait_ms: 20 }`. The worker then calls the default export with
 * the events of up to `max` jobs that arrived within `wait_ms` of the first (fewer when its
 * concurrency is lower), as a BatchHandler.
 */
export interface BatchSettings {
  max: number;
  wait_ms: number;
}

/** A batch handler's context: HandlerContext for several jobs at once. */
export interface BatchContext extends Omit<HandlerContext, 'job' | 'log'> {
  /** One job per event, in the same order. */
  jobs: Array<{ id: string; attempt: number }>;
  /** Appends a line to the log of the job of `events[index]`. */
  log(index: number, line: string): Promise<void>;
  /** An enabled automation's batch handler by name and key (`default` when omitted). */
  automationBatch(name: string, key?: string): BatchHandler;
}

/**
 * The default export of a module with a `batch` export. It returns one outcome per event, in
 * order: a value is that job's result, an Error fails that job alone (a PermanentError parks it
 * at once). A throw fails every job of the batch.
 */
export type BatchHandler = (
  events: LoopabullEvent[],
  ctx: BatchContext,
) => Promise<unknown[]> | unknown[];
