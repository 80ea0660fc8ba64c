export { ConfigError } from './errors.js';
export { loadConfig, locateConfig, type LoadConfigOptions } from './config/load.js';
export type { Config, BusPreset, Binding } from './config/schema.js';
export type { LoopabullEvent } from './event.js';
export { topicProblem, topicAllowed } from './topic.js';
export { jobIdFor } from './job-id.js';
export {
  toEvent,
  pulseTopic,
  destinationFor,
  type Delivery,
  type RejectReason,
  type ToEventResult,
} from './presets.js';
export { createLogger, type Logger } from './logger.js';
export {
  createRedis,
  createProducerRedis,
  connectRedisOnce,
  closeRedis,
  redactUrl,
} from './redis.js';
export { loopabullKeys } from './keys.js';
export { Counters, COUNTERS_FLUSH_MS, DURATION_BUCKETS } from './counters.js';
export { ParkingLot, type ParkedMessage, type ParkInput } from './parking.js';
export {
  WorkQueue,
  DEPTH_SAMPLE,
  DEPTH_STATES,
  type JobResult,
  type QueueDepth,
} from './work-queue.js';
export {
  BusPublisher,
  connectRecovering,
  connectOnce,
  busSocketOptions,
  type PublishOptions,
} from './bus.js';
export type { Handler, HandlerContext } from './handler.js';
export {
  Jobs,
  JOB_STATES,
  LIST_MAX,
  TOPIC_SCAN,
  type JobState,
  type JobSummary,
  type JobDetail,
} from './jobs.js';
export { queueServices, openQueueServices, type QueueServices } from './services.js';
export { formatTable } from './format.js';
