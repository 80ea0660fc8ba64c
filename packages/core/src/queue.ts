/**
 * The work queue's services alone, with BullMQ and ioredis: what the CLI's queue commands
 * (`queue`, `jobs`, `pause`) import when they run, without the bus (amqplib) or the logger
 * (winston) that the barrel (`@loopabull/core`) loads too (docs/benchmarks.md, "CLI start-up").
 */
export { openQueueServices, queueServices, type QueueServices } from './services.js';
export { CONNECT_ONCE_MS } from './redis.js';
export { redactUrl } from './redact-url.js';
export { withTimeout } from './timeout.js';
