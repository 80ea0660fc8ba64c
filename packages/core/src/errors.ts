/** A problem with the configuration or the command line: the process exits with code 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/**
 * Thrown by a handler for a failure that may pass (a service down, a lock taken): the job is
 * retried with backoff, then parked. Any other error is treated the same way; this one says so.
 */
export class TransientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * Thrown by a handler for a failure another try cannot mend (bad data, a missing automation):
 * the job is parked at once, without retries.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * The reason `ctx.signal` is aborted with when a handler's run reaches `ansible.timeout`; when the
 * worker stops, it is another error. The job fails: the try is used up, unlike a stop's.
 */
export class HandlerTimedOut extends Error {
  constructor(readonly seconds: number) {
    super(`timed out after ${seconds} s`);
    this.name = 'HandlerTimedOut';
  }
}

/** Whether a signal's reason is a handler's timeout (by name, for the realms isPermanent names). */
export const isHandlerTimeout = (reason: unknown): reason is HandlerTimedOut =>
  reason instanceof Error && reason.name === 'HandlerTimedOut';

/**
 * Whether an error says that retrying is pointless: a PermanentError, or BullMQ's
 * UnrecoverableError by name, which handlers written before PermanentError throw. By name too,
 * as an error from another realm (a handler's own copy of core, Jest's VM modules) is no instance.
 */
export const isPermanent = (err: unknown): boolean =>
  err instanceof PermanentError ||
  (err instanceof Error && (err.name === 'PermanentError' || err.name === 'UnrecoverableError'));
