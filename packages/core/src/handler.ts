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
  /** Aborted at the run timeout or when the worker stops: long work should watch it. */
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
