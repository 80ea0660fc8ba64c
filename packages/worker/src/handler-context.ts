import type { BatchContext, HandlerContext, Logger } from '@loopabull/core';
import type { HandlerCall } from './deadlines.js';

/** What both contexts have, and hand on as they are. */
type Common = Pick<HandlerContext, 'redis' | 'publish' | 'config' | 'automation'>;

/**
 * What a handler context and a batch handler's have in common. Its `logger` (tagged with the
 * job) and `signal` are made when first read: most handlers read neither, and a child logger or
 * an AbortSignal for every job is dear. They are getters of the object's own, so that a copy of
 * the context (`{ ...ctx }`) has them too. Defined on each object from shared descriptors, not
 * written as an object literal with getters: V8 makes every such literal a dictionary object,
 * which cost a no-op job 5 µs of CPU, two thirds of the worker's own work for it.
 */
class ContextBase implements Common {
  declare readonly logger: Logger;
  declare readonly signal: AbortSignal;
  readonly redis: Common['redis'];
  readonly publish: Common['publish'];
  readonly config: Common['config'];
  readonly automation: Common['automation'];
  #logger: Logger | null = null;
  readonly #makeLogger: () => Logger;
  readonly #call: HandlerCall;

  static readonly #loggerMember: PropertyDescriptor = {
    get(this: ContextBase) {
      return (this.#logger ??= this.#makeLogger());
    },
    enumerable: true,
  };
  static readonly #signalMember: PropertyDescriptor = {
    get(this: ContextBase) {
      return this.#call.signal();
    },
    enumerable: true,
  };

  constructor(call: HandlerCall, makeLogger: () => Logger, common: Common) {
    this.#call = call;
    this.#makeLogger = makeLogger;
    Object.defineProperty(this, 'logger', ContextBase.#loggerMember);
    Object.defineProperty(this, 'signal', ContextBase.#signalMember);
    this.redis = common.redis;
    this.publish = common.publish;
    this.config = common.config;
    this.automation = common.automation;
  }
}

/** The context of a handler called with one job's event. */
export class JobContext extends ContextBase implements HandlerContext {
  readonly log: HandlerContext['log'];
  readonly job: HandlerContext['job'];

  constructor(call: HandlerCall, shared: Omit<HandlerContext, 'signal'>, topic: string) {
    super(call, () => shared.logger.child({ job: shared.job.id, topic }), shared);
    this.log = shared.log;
    this.job = shared.job;
  }
}

/** The context of a batch handler, called with the events of several jobs. */
export class JobsContext extends ContextBase implements BatchContext {
  readonly automationBatch: BatchContext['automationBatch'];
  readonly jobs: BatchContext['jobs'];
  readonly log: BatchContext['log'];

  constructor(
    call: HandlerCall,
    makeLogger: () => Logger,
    shared: Omit<BatchContext, 'logger' | 'signal'>,
  ) {
    super(call, makeLogger, shared);
    this.automationBatch = shared.automationBatch;
    this.jobs = shared.jobs;
    this.log = shared.log;
  }
}
