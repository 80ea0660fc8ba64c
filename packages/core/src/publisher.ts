/**
 * The bus publisher alone, with amqplib: what `loopabull publish` imports when it runs, without
 * BullMQ, ioredis or winston, which the barrel (`@loopabull/core`) loads too (docs/benchmarks.md,
 * "CLI start-up").
 */
export { BusPublisher } from './bus.js';
export { eventIdOf } from './presets.js';
export { jobIdFor } from './job-id.js';
