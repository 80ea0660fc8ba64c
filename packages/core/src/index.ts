export {
  ConfigError,
  TransientError,
  PermanentError,
  HandlerTimedOut,
  isPermanent,
  isHandlerTimeout,
} from './errors.js';
export {
  lazyAutomation,
  registered,
  SHIPPED_PLAYBOOKS_DIR,
  type Automation,
  type AutomationTopic,
  type AutomationParts,
  type AutomationEnv,
  type AutomationInstance,
  type AutomationSection,
  type CommandEnv,
  type DoctorCheck,
} from './automation.js';
export { AutomationHost, automationEnv, enabledAutomations, sectionOf } from './automation-host.js';
export {
  loadConfig,
  locateConfig,
  resolveFrom,
  SYSTEM_CONFIG,
  type LoadConfigOptions,
} from './config/load.js';
export type { Config, BusPreset, Binding } from './config/schema.js';
export { seconds as timerSeconds } from './config/schema.js';
export { hostForm, httpBaseUrl } from './config/http-address.js';
export {
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseDialect,
  type DatabaseTarget,
  type SqliteTarget,
  type ServerTarget,
} from './config/database-url.js';
export type { LoopabullEvent } from './event.js';
export {
  member,
  numberLiteral,
  numberLiterals,
  pythonNumber,
  PYTHON_MAX_INT_DIGITS,
} from './json-numbers.js';
export { topicProblem, topicAllowed, bindingMatches } from './topic.js';
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
  type Delivery,
  REJECT_REASONS,
  type RejectReason,
  type ToEventResult,
} from './presets.js';
export { createLogger, type Logger } from './logger.js';
export {
  createRedis,
  createProducerRedis,
  connectRedisOnce,
  CONNECT_ONCE_MS,
  checkRedisDatabase,
  closeRedis,
  endRedis,
  redactUrl,
} from './redis.js';
export { loopabullKeys } from './keys.js';
export { Counters, COUNTERS_FLUSH_MS, DURATION_BUCKETS } from './counters.js';
export {
  ParkingLot,
  PARKED_BODY_BYTES,
  PARKED_LIST_MAX,
  type ParkedMessage,
  type ParkedDetail,
  isParked,
  parkedBodySize,
  type ParkInput,
} from './parking.js';
export { WorkQueue, type Enqueued } from './work-queue.js';
export {
  JOB_STATES,
  DEPTH_STATES,
  DEPTH_SAMPLE,
  LIST_MAX,
  TOPIC_SCAN,
  type JobState,
  type JobSummary,
  type JobDetail,
  type JobResult,
  type QueueDepth,
} from './job-types.js';
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
export { counted, formatTable, printable } from './format.js';
export { failureSummary } from './failure-summary.js';
export { parseDuration, formatDuration } from './duration.js';
export { withTimeout, settlesWithin, TimeoutError } from './timeout.js';
export { notWritable } from './creatable.js';
export { LuaScript } from './lua-script.js';
export { isObject, type JsonObject } from './json-object.js';
export {
  commandFileName,
  configOption,
  printJson,
  readCommandFile,
  writeCommandFile,
} from './cli-options.js';
export { parseReplay, type ReplayMessage } from './replay-format.js';
