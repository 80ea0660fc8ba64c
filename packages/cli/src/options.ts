import { InvalidArgumentError, Option, type Command } from 'commander';
// Without the engine: a command's definition is read for `--help` (docs/benchmarks.md).
import {
  commandFileName,
  bodyText,
  ConfigError,
  configOption,
  formatTable,
  inputTooLarge,
  loadConfig,
  nestingDepth,
  printJson as printJsonTo,
  readCommandFile,
  type Automation,
  type CommandEnv,
  type Config,
} from '@loopabull/core/cli';
import type { QueueServices } from '@loopabull/core/queue';

/** What every command is built with: the automation registry and the config loader that knows it. */
export interface Cli extends CommandEnv {
  readonly automations: readonly Automation[];
}

export function cliWith(automations: readonly Automation[]): Cli {
  return {
    automations,
    loadConfig: (opts) => loadConfig({ path: opts.config, automations }),
  };
}

export interface ConfigOpts {
  config?: string;
}

export const withConfig = configOption;

export const jsonOption = () => new Option('--json', 'print JSON instead of text, for scripts');

/** Opens the queue for a command and always closes it, so the process can exit. */
export async function withQueue<T>(
  cli: Cli,
  opts: ConfigOpts,
  fn: (services: QueueServices, config: Config) => Promise<T>,
  access: { readOnly?: boolean } = {},
): Promise<T> {
  const config = cli.loadConfig(opts);
  const { openQueueServices } = await import('@loopabull/core/queue');
  const services = await openQueueServices(config, access);
  try {
    return await fn(services, config);
  } finally {
    await services.close();
  }
}

/**
 * `withQueue` for a command that only looks (queue, jobs list/show/logs), opened as doctor opens
 * it: nothing is written, where BullMQ would otherwise leave its meta key behind in a Redis, or
 * under a prefix or queue name, that had no queue.
 */
export const lookAtQueue = <T>(
  cli: Cli,
  opts: ConfigOpts,
  fn: (services: QueueServices, config: Config) => Promise<T>,
): Promise<T> => withQueue(cli, opts, fn, { readOnly: true });

export interface BodyOpts {
  body?: string;
  file?: string;
}

/** `--body` and `--file` are alternatives: both given is a usage error (exit 2), not a silent choice. */
export const bodyOptions = (cmd: Command): Command =>
  cmd
    .addOption(new Option('--body <json>', 'message body as JSON').default('{}').conflicts('file'))
    .option('--file <path>', 'read the message body (JSON) from a file; - for standard input');

/**
 * The message body of `publish` and `run`, and the text to send it as when JSON.parse would lose
 * how its numbers are written (`1.0`: bodyText); a usage error (exit 2) names what was wrong. It
 * is held to the looper's limits (`bus.max_bytes`, `bus.max_depth`): a larger one would be parked
 * unrun, and a deeper one overflowed the stack of what writes the vars file.
 */
export function readBody(
  opts: BodyOpts,
  { max_bytes, max_depth }: Pick<Config['bus'], 'max_bytes' | 'max_depth'>,
): { body: unknown; text: string | undefined } {
  const where = opts.file ? commandFileName(opts.file, '--file') : '--body';
  const why = 'bus.max_bytes: the looper parks a larger message as too-large';
  const raw = opts.file
    ? readCommandFile(opts.file, where, { max: max_bytes, why })
    : (opts.body ?? '{}');
  // A file is held to it as it is read; text on the command line here.
  if (!opts.file && Buffer.byteLength(raw) > max_bytes) throw inputTooLarge(where, max_bytes, why);
  // A byte order mark, which editors on some systems write, is no part of the JSON.
  const text = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${where} is not valid JSON: ${(err as Error).message}`);
  }
  if (nestingDepth(body, max_depth) > max_depth)
    throw new ConfigError(
      `${where} is nested deeper than bus.max_depth ${max_depth}: the looper parks such a message as too-deep`,
    );
  return { body, text: bodyText(text, body) };
}

export function printJson(value: unknown): void {
  printJsonTo((text) => process.stdout.write(text), value);
}

export function printTable(
  headers: string[],
  rows: Array<Array<string | number | null | undefined>>,
): void {
  process.stdout.write(formatTable(headers, rows));
}

/**
 * `worker --id`: the worker's name in logs and, as the Redis client name BullMQ gives its
 * connection, in the dashboard's Workers table and doctor's count. Redis refuses a client name
 * with a space (BullMQ ignores the refusal, so the worker would run unlisted), and an empty one
 * lists it unnamed: both are usage errors.
 */
export function workerId(value: string): string {
  if (!/^[\x21-\x7e]{1,128}$/.test(value))
    throw new InvalidArgumentError(
      'expected 1 to 128 printable ASCII characters without spaces (letters, digits, . _ - and the like)',
    );
  return value;
}

/**
 * `--id` and `--routing-key`: AMQP carries them as short strings, at most 255 bytes, which the
 * client library would refuse only once connected, with its own words (exit 1). An empty message
 * id would not be one at all: the looper falls back to a hash of the body, and the job id
 * `publish --json` prints would name no job.
 */
export function amqpShortString(value: string): string {
  if (value === '' || Buffer.byteLength(value) > 255)
    throw new InvalidArgumentError('expected 1 to 255 bytes (AMQP limits it to that)');
  return value;
}

/**
 * `--routing-key` of `publish` and `run`: with pulse the topic names the exchange and the routing
 * key is free; with the other presets the routing key is the topic, so another one would publish
 * (or run as) a topic other than the one named, unchecked by the topic rule.
 */
export function pulseRoutingKey(
  config: Config,
  routingKey: string | undefined,
): string | undefined {
  if (routingKey !== undefined && config.bus.preset !== 'pulse')
    throw new ConfigError(
      `--routing-key is for the pulse preset only: with bus.preset ${config.bus.preset} the topic is the routing key`,
    );
  return routingKey;
}

/** The whole number `value` spells, if it is one from 1 to `max`. */
function countUpTo(value: string, max: number): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= max ? n : null;
}

/** Commander's parser for counts and intervals: a usage error (exit 2) for anything else. */
export function positiveInt(value: string): number {
  const n = countUpTo(value, Infinity);
  if (n === null) throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

/**
 * A parser as `positiveInt`, for a count that has a sensible most: the usage error names it and
 * `why`, so that the operator does not take it for an arbitrary limit.
 */
export const positiveIntUpTo =
  (max: number, why: string) =>
  (value: string): number => {
    const n = countUpTo(value, max);
    if (n === null)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}: ${why}`);
    return n;
  };
