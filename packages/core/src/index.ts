// What the CLI's commands use without the engine (cli.ts), and the engine's own parts.
export * from './cli.js';
export { HandlerTimedOut, isPermanent, isHandlerTimeout } from './errors.js';
export {
  SHIPPED_PLAYBOOKS_DIR,
  type AutomationTopic,
  type AutomationInstance,
} from './automation.js';
export { AutomationHost, automationEnv } from './automation-host.js';
export { locateConfig, SYSTEM_CONFIG, type LoadConfigOptions } from './config/load.js';
export { whyUnreadable } from './config/unreadable.js';
export type { BusPreset, Binding } from './config/schema.js';
export { hostForm } from './config/http-address.js';
export { percentDecoded } from './percent.js';
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseDialect,
  type DatabaseTarget,
  type SqliteTarget,
  type ServerTarget,
} from './config/database-url.js';
export type { LoopabullEvent } from './event.js';
export { bindingMatches } from './topic.js';
export {
  nestingDepth,
  plainHeaders,
  DEFAULT_MAX_DEPTH,
  HEADER_LIMITS,
  UNDECODABLE_HEADERS,
  type HeadersResult,
} from './intake.js';
export { jobIdFor } from './job-id.js';
export {
  toEvent,
  pulseTopic,
  destinationFor,
  eventAsPublished,
  publishHeaders,
  eventIdOf,
  pulseRoutingKey,
  topicBound,
  bindingsDeliver,
  type Delivery,
  REJECT_REASONS,
  type RejectReason,
  type ToEventResult,
} from './presets.js';
export { createLogger, type Logger } from './logger.js';
export { logRedisOutages, OUTAGE_REMINDER_MS, OutageLog } from './outage-log.js';
export {
  createRedis,
  createProducerRedis,
  connectRedisOnce,
  CONNECT_ONCE_MS,
  SILENT_SOCKET_MS,
  checkRedisDatabase,
  closeRedis,
  endRedis,
} from './redis.js';
export { redactUrl } from './redact-url.js';
export { loopabullKeys } from './keys.js';
export { Counters, COUNTERS_FLUSH_MS, DURATION_BUCKETS } from './counters.js';
export { ParkingLot, PARKED_BODY_BYTES, type ParkedMessage, type ParkInput } from './parking.js';
export { WorkQueue, type Enqueued } from './work-queue.js';
export { type FailureNote, type JobState, type JobSummary, type JobResult } from './job-types.js';
export { UnroutedJobs } from './unrouted.js';
export {
  BusPublisher,
  busFault,
  connectRecovering,
  connectOnce,
  BusUnreachable,
  ExchangeMissing,
  ensureExchange,
  busSocketOptions,
  shellWord,
  vhostAndUser,
  type PublishOptions,
  type Published,
} from './bus.js';
export type {
  Handler,
  HandlerContext,
  BatchHandler,
  BatchContext,
  BatchSettings,
} from './handler.js';
export { Jobs, JobRefused } from './jobs.js';
export { triesMade } from './retry-policy.js';
export { queueServices, openQueueServices, type QueueServices } from './services.js';
export { withTimeout, settlesWithin, TimeoutError } from './timeout.js';
export { notWritable } from './creatable.js';
export { LuaScript } from './lua-script.js';
export { TurnBatch } from './turn-batch.js';
export { parseReplay, type ReplayMessage } from './replay-format.js';
