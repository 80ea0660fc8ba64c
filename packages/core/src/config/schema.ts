import { z } from 'zod';
import { topicProblem } from '../topic.js';
import { parseDatabaseUrl } from './database-url.js';

/** Loopabull 0.0.7 spelled some levels differently; both spellings load. */
const LOG_LEVELS: Record<string, 'debug' | 'info' | 'warn' | 'error'> = {
  debug: 'debug',
  debugging: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
};

/** Node's timers fire at once past 2^31-1 ms (24.8 days): a longer timeout would expire in 1 ms. */
const MAX_TIMER_SECONDS = 2_147_483;
/** A duration in seconds that becomes a timer (automations' sections use it too). */
export const seconds = z
  .number()
  .positive()
  .max(
    MAX_TIMER_SECONDS,
    `at most ${MAX_TIMER_SECONDS} seconds (24.8 days), the longest timer Node sets`,
  );
/** A duration in seconds that is only stored (an age in Redis), never a timer. */
const age = z.number().positive();
const port = z.number().int().min(0).max(65535);

/**
 * pika's `ConnectionParameters` arguments besides `credentials`, which 0.0.7 set itself: it
 * passed `plugins.looper.rabbitmq` to it as they were, and pika refused any other name. Only host, port and virtual_host carry over (legacy.ts); the rest are taken and
 * have no effect, as in a bus URL.
 */
const PIKA_TUNING = [
  // pika 0.x, which 0.0.6 and Fedora's deployment ran on, besides 1.x's below.
  'heartbeat_interval',
  'ssl',
  'ssl_options',
  'backpressure_detection',
  'channel_max',
  'frame_max',
  'heartbeat',
  'connection_attempts',
  'retry_delay',
  'socket_timeout',
  'stack_timeout',
  'locale',
  'blocked_connection_timeout',
  'client_properties',
  'tcp_options',
] as const;
const pemPath = z.string().min(1).nullable().default(null);

/**
 * Loopabull 0.0.7's `plugins.looper`, checked like every other key so that a misspelt key or a
 * port written as a string is an error instead of a silent fall back to the defaults. The
 * fedmsgrabbitmq looper's keys; `host`, `port` and `db` are the redis looper's.
 */
const legacyLooper = z
  .object({
    name: z.enum(['fedmsgrabbitmq', 'fedmsg', 'redis']).optional(),
    rabbitmq: z
      .object({
        host: z.string().optional(),
        port: port.optional(),
        virtual_host: z.string().optional(),
        ...Object.fromEntries(PIKA_TUNING.map((key) => [key, z.unknown().optional()])),
      })
      .strict()
      .optional(),
    // The looper tested these three for truth (`if config.get('tls')`), so a key left empty
    // (`tls:` with its lines commented out) was no block: null loads as absent.
    credentials: z
      .object({ username: z.string().nullish(), password: z.string().nullish() })
      .strict()
      .nullish(),
    tls: z.object({ ca_cert: pemPath, certfile: pemPath, keyfile: pemPath }).strict().nullish(),
    routing_keys: z.array(z.string().min(1)).nullish(),
    exchange: z
      .object({ name: z.string().min(1) })
      .strict()
      .optional(),
    channel_queue: z
      .object({
        name: z.string().min(1),
        durable: z.boolean().optional(),
        exclusive: z.boolean().optional(),
        auto_delete: z.boolean().optional(),
      })
      .strict()
      .optional(),
    host: z.string().optional(),
    port: port.optional(),
    db: z.number().int().min(0).optional(),
  })
  .strict();

/** Why a URL's scheme is not one of `schemes`, or null; checked here so it fails before connecting. */
function schemeProblem(url: string, schemes: readonly string[]): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL; expected ${schemes.map((s) => `${s}//…`).join(' or ')}`;
  }
  return schemes.includes(parsed.protocol)
    ? null
    : `scheme ${parsed.protocol} is not ${schemes.join(' or ')}`;
}

/**
 * Redis's URL: redis:// or rediss://, or a socket path. Its path selects a database by number;
 * ioredis would send anything else to SELECT and, when that fails, go on in database 0 with
 * another install's queues.
 */
const redisUrl = z.string().superRefine((url, ctx) => {
  if (url.startsWith('/')) return;
  const problem = schemeProblem(url, ['redis:', 'rediss:']);
  if (problem) return void ctx.addIssue({ code: 'custom', message: problem });
  const path = new URL(url).pathname;
  if (!/^\/?(\d{1,9})?$/.test(path))
    ctx.addIssue({
      code: 'custom',
      message: `database ${JSON.stringify(path.slice(1))} is not a number (redis://host:port/N)`,
    });
});

/**
 * The connection tuning a bus URL may carry (RabbitMQ's URI spec names and amqplib's): what each
 * must be, checked here because the broker answers a value it cannot take by dropping the
 * connection, which reads as a broker that is down.
 */
const AMQP_TUNING: Record<string, { max: number; rule: string; ok(n: number): boolean }> = {
  frame_max: {
    max: 2 ** 32 - 1,
    rule: '0 (the broker’s) or at least 4096',
    ok: (n) => n === 0 || n >= 4096,
  },
  channel_max: { max: 65535, rule: '0 (the broker’s) to 65535', ok: () => true },
  heartbeat: { max: 65535, rule: 'whole seconds, 0 to 65535', ok: () => true },
};
const AMQPLIB_NAMES: Record<string, string> = { frameMax: 'frame_max', channelMax: 'channel_max' };

function amqpTuningProblem(url: URL): string | null {
  for (const [name, value] of url.searchParams) {
    const tuning = AMQP_TUNING[AMQPLIB_NAMES[name] ?? name];
    if (!tuning) continue;
    const n = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(n <= tuning.max && tuning.ok(n)))
      return `query parameter ${name}=${value} must be ${tuning.rule}`;
  }
  return null;
}

const amqpUrl = z.string().superRefine((url, ctx) => {
  const problem = schemeProblem(url, ['amqp:', 'amqps:']) ?? amqpTuningProblem(new URL(url));
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * The automations' database, in a form parseDatabaseUrl reads. Checked with the rest, not only
 * when an automation opens it: the looper and `loopabull queue` never do, and a mistake found by
 * the first job's handler is found late. Where a relative SQLite path leads does not matter here.
 * The parser's message already hides the password.
 */
const databaseUrl = z.string().superRefine((url, ctx) => {
  try {
    parseDatabaseUrl(url, '/');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const binding = z
  .object({ exchange: z.string().min(1), routing_key: z.string().min(1).default('#') })
  .strict();

export const configSchema = z
  .object({
    loglevel: z
      .string()
      .default('info')
      .refine((v) => v in LOG_LEVELS, { message: 'expected debug, info, warn or error' })
      .transform((v) => LOG_LEVELS[v]!),
    redis: z
      .object({
        url: redisUrl.default('redis://127.0.0.1:6379'),
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
          .default('loopabull'),
      })
      .strict()
      .prefault({}),
    queue: z
      .object({
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
          .default('loopabull'),
        attempts: z.number().int().min(1).default(5),
        backoff: seconds.default(10),
        /** Completed jobs are kept this long: a redelivered message within it does not run twice. */
        keep_completed: age.default(7 * 24 * 3600),
        /** Failed jobs stay parked until an operator acts; this only bounds their number. */
        keep_failed: z.number().int().min(1).default(10_000),
        /** Unrouted jobs kept whole, newest first; older ones are only counted. */
        keep_unrouted: z.number().int().min(1).default(1000),
      })
      .strict()
      .prefault({}),
    bus: z
      .object({
        url: amqpUrl.default('amqp://guest:guest@127.0.0.1:5672'),
        preset: z.enum(['fedora-messaging', 'pulse', 'generic']).default('fedora-messaging'),
        queue: z.string().min(1).default('loopabull'),
        /**
         * Seconds after which RabbitMQ deletes the queue once it has no consumer (x-expires). Off
         * by default: a production queue must keep messages while the looper is down.
         */
        queue_expires: z.number().int().min(1).nullable().default(null),
        bindings: z.array(binding).default([{ exchange: 'amq.topic', routing_key: '#' }]),
        /**
         * Declare the bindings' exchanges (durable topic) if missing, and those `publish`,
         * `replay` and handlers send to. Off for brokers where they belong to someone else, such
         * as Mozilla Pulse: they are then only checked to exist, but for those a publisher sends
         * to that are the user's own as Pulse names them, `exchange/<user>/…`.
         */
        declare_exchanges: z.boolean().default(true),
        /**
         * Seconds between re-bindings of the queue to its exchanges while connected: an exchange
         * deleted and declared again by its publisher has lost the queue's bindings.
         */
        rebind_interval: seconds.default(30),
        /** Exchange that `publish` and handlers' follow-up events go to (generic and fedora-messaging). */
        publish_exchange: z.string().min(1).default('amq.topic'),
        prefetch: z.number().int().min(1).max(65535).default(100),
        max_bytes: z
          .number()
          .int()
          .min(1)
          .default(1024 * 1024),
        max_depth: z.number().int().min(1).max(256).default(100),
        heartbeat: seconds.default(10),
        connect_timeout: seconds.default(10),
        /** Client certificates, as fedora-messaging's public broker wants them (PEM file paths). */
        tls: z
          .object({ ca_cert: pemPath, certfile: pemPath, keyfile: pemPath })
          .strict()
          .prefault({}),
      })
      .strict()
      .superRefine(({ url, tls }, ctx) => {
        // Said here, or the files would be ignored without a word: amqp:// never starts TLS,
        // and a certificate without its key is never presented.
        if ((tls.ca_cert || tls.certfile || tls.keyfile) && url.startsWith('amqp:'))
          ctx.addIssue({
            code: 'custom',
            path: ['tls'],
            message:
              "is set, but bus.url is amqp://, which does not use TLS: make it amqps:// (the broker's TLS port, 5671 by default), or remove bus.tls",
          });
        if (Boolean(tls.certfile) !== Boolean(tls.keyfile))
          ctx.addIssue({
            code: 'custom',
            path: ['tls', tls.certfile ? 'keyfile' : 'certfile'],
            message: `is needed with bus.tls.${tls.certfile ? 'certfile' : 'keyfile'}: the client certificate and its key go together`,
          });
      })
      .prefault({}),
    routing_keys: z
      .array(z.string().min(1))
      .min(1, 'needs at least one topic, or [all]')
      // The filter compares exact topics: an entry no topic can equal (an AMQP pattern such as
      // `org.fedoraproject.*`, a path) would drop every message of it without a word.
      .superRefine((keys, ctx) => {
        keys.forEach((key, i) => {
          const problem = key === 'all' ? null : topicProblem(key);
          if (problem !== null)
            ctx.addIssue({
              code: 'custom',
              path: [i],
              message: `not a topic: ${problem}; routing_keys lists exact topics, or [all] (patterns with * and # belong in bus.bindings)`,
            });
        });
      })
      .default(['all']),
    topics: z
      .object({
        /**
         * Prefixes removed, in order, when no automation matches the full topic. They end at a
         * word: `org.fedoraproject.stg` means `org.fedoraproject.stg.`, as a prefix ending inside
         * a word would leave no topic that could name a file.
         */
        fold_prefixes: z
          .array(
            z
              .string()
              .min(1)
              .transform((p) => (p.endsWith('.') ? p : `${p}.`)),
          )
          .default([]),
      })
      .strict()
      .prefault({}),
    ansible: z
      .object({
        playbooks_dir: z.string().min(1).default('./playbooks'),
        playbook_cmd: z.string().min(1).default('ansible-playbook'),
        // 0.0.7 exported an empty one as it was, which ansible-playbook takes for none.
        cfg_file_path: z
          .string()
          .nullable()
          .default(null)
          .transform((path) => path || null),
        timeout: seconds.default(3600),
        /**
         * The worker's variables a playbook sees: names, or prefixes ending in `*`. By default
         * all of them (the spec's "environment of the worker"), less Loopabull's own credentials.
         */
        env_passthrough: z
          .array(
            z.string().regex(/^([A-Za-z_][A-Za-z0-9_]*\*?|\*)$/, 'a variable name, PREFIX* or *'),
          )
          .default(['*']),
        /**
         * Topics whose playbook runs once for a batch of events: up to `max` that arrive within
         * `wait` seconds of the first, as the list `msgs`.
         */
        batch: z
          .record(
            z.string(),
            z
              .object({
                max: z.number().int().min(2).max(10_000),
                wait: seconds,
              })
              .strict(),
          )
          .superRefine((batch, ctx) => {
            for (const topic of Object.keys(batch)) {
              const problem = topicProblem(topic);
              if (problem !== null)
                ctx.addIssue({ code: 'custom', path: [topic], message: `not a topic: ${problem}` });
            }
          })
          .default({}),
      })
      .strict()
      .prefault({}),
    plugins: z
      .object({
        translator: z
          .object({ name: z.enum(['rkname', 'rkdirectory']).default('rkname') })
          .strict()
          .prefault({}),
        /** Loopabull 0.0.7's looper plugin block: read for its bus settings (see docs/configuration.md). */
        looper: legacyLooper.optional(),
      })
      .strict()
      .prefault({}),
    workers: z
      .object({
        concurrency: z.number().int().min(1).default(1),
        /** A job whose worker stops renewing its lock this long is handed to another worker. */
        lock_timeout: seconds.default(30),
        /** On SIGTERM, running jobs get this long to finish before they are cancelled and retried. */
        shutdown_grace: seconds.default(30),
        /** A run's output kept in its job log, per attempt; past it one line says it was cut. */
        log_max_lines: z.number().int().min(1).default(10_000),
        log_max_bytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(8080),
        token: z.string().min(1).nullable().default(null),
        /** Host headers answered (DNS rebinding); unset: the bind address and localhost. */
        allowed_hosts: z
          .array(
            z
              .string()
              .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/, 'a host or host:port'),
          )
          .min(1)
          .nullable()
          .default(null),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        /**
         * Topics counted on their own in the shared counters and /metrics; later ones count as
         * topic "other". Each topic is a Prometheus series, and a public bus has no end of them.
         */
        max_topics: z.number().int().min(1).default(1000),
      })
      .strict()
      .prefault({}),
    database: z
      .object({ url: databaseUrl.default('sqlite:///loopabull.db') })
      .strict()
      .prefault({}),
  })
  .strict();

/** What core reads of every automation's config section: the rest is the automation's own. */
export interface AutomationSection {
  enabled: boolean;
}

export type Config = z.output<typeof configSchema> & {
  /** Where the configuration came from: a file path, or null for built-in defaults. */
  source: string | null;
  /** Where relative paths in it resolve: the file's directory, else the working directory. */
  dir: string;
  /** The registered automations' sections by name, each validated by its own schema. */
  sections: Readonly<Record<string, AutomationSection>>;
};
export type BusPreset = Config['bus']['preset'];
export type Binding = Config['bus']['bindings'][number];
