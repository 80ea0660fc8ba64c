import type { Binding, BusPreset } from './config/schema.js';
import type { LoopabullEvent } from './event.js';
import { sha256, sha256Text } from './hash.js';
import { DEFAULT_MAX_DEPTH, nestingDepth, plainHeaders, sentAtHeader } from './intake.js';
import { mayLoseNumbers } from './json-numbers.js';
import { isObject } from './json-object.js';
import { bindingMatches, topicAllowed, topicProblem } from './topic.js';

/** The parts of an AMQP delivery that an event is made from (amqplib's message, flattened). */
export interface Delivery {
  exchange: string;
  routingKey: string;
  content: Buffer;
  messageId?: string | undefined;
  contentType?: string | undefined;
  /** AMQP `content_encoding` property. */
  contentEncoding?: string | undefined;
  headers?: Record<string, unknown> | undefined;
  /** AMQP timestamp property, seconds since the epoch. */
  timestamp?: number | undefined;
}

/**
 * Why a delivery cannot become an event: the reason it is parked under. `unstorable` is not
 * decided here: the looper parks a message under it when making or storing its job failed for a
 * reason that is the message's, not Redis's.
 */
export const REJECT_REASONS = [
  'too-large',
  'bad-encoding',
  'bad-utf8',
  'not-json',
  'bad-topic',
  'too-deep',
  'bad-headers',
  'unstorable',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export type ToEventResult =
  | { ok: true; event: LoopabullEvent }
  | { ok: false; reason: RejectReason; detail: string; topic: string | null };

const PULSE_EXCHANGE_PREFIX = 'exchange/';

/** Pulse routing keys are ids; the exchange is what names the kind of message. */
export function pulseTopic(exchange: string): string {
  const name = exchange.startsWith(PULSE_EXCHANGE_PREFIX)
    ? exchange.slice(PULSE_EXCHANGE_PREFIX.length)
    : exchange;
  return name.replaceAll('/', '.');
}

/**
 * RabbitMQ's own exchanges that are not topic exchanges. They always exist and the looper binds to
 * them as they are (it declares no `amq.*` exchange): a direct exchange compares the routing key
 * whole (a `#` binding there takes only the key `#`); a fanout one, and a headers one bound
 * without arguments as the looper binds, take every message whatever its routing key.
 */
const BROKER_EXCHANGES = new Map<string, 'direct' | 'every'>([
  ['amq.direct', 'direct'],
  ['amq.fanout', 'every'],
  ['amq.headers', 'every'],
  ['amq.match', 'every'],
]);

/**
 * Whether the broker would deliver messages of a topic to the looper's queue through one of
 * `bus.bindings`. On Pulse a topic is a bound exchange's name (the routing key is ids, whatever
 * the topic). Elsewhere the topic is the routing key: a binding on RabbitMQ's `amq.direct`,
 * `amq.fanout`, `amq.headers` or `amq.match` routes as that exchange's type does; any other
 * exchange is taken to be a topic exchange, as the looper declares it (one that is someone
 * else's, with `bus.declare_exchanges: false`, is not asked for its type), whose pattern must
 * match the topic.
 */
export function bindingsDeliver(
  bus: { preset: BusPreset; bindings: readonly Binding[] },
  topic: string,
): boolean {
  return bus.bindings.some((b) => {
    if (bus.preset === 'pulse') return pulseTopic(b.exchange) === topic;
    const kind = BROKER_EXCHANGES.get(b.exchange);
    if (kind === 'every') return true;
    if (kind === 'direct') return b.routing_key === topic;
    return bindingMatches(b.routing_key, topic);
  });
}

/**
 * Whether messages of a topic would reach a worker: the bus delivers them to the looper
 * (bindingsDeliver) and its `routing_keys` filter keeps them.
 */
export function topicBound(
  config: {
    bus: { preset: BusPreset; bindings: readonly Binding[] };
    routing_keys: readonly string[];
  },
  topic: string,
): boolean {
  return topicAllowed(topic, config.routing_keys) && bindingsDeliver(config.bus, topic);
}

/** One word of a Taskcluster routing key: `_` for a missing value, as Taskcluster's publisher writes it. */
function routingWord(value: unknown): string {
  const word = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  return typeof word === 'string' && word !== '' && !/[.*#]/.test(word) ? word : '_';
}

/**
 * The routing key Taskcluster's queue publishes a message under, built from its body as the
 * queue does (`buildCommonRoutingKey`): for task messages
 * `primary.<taskId>.<runId>.<workerGroup>.<workerId>.<provisionerId>.<workerType>.<schedulerId>.<taskGroupId>._`,
 * for task-group messages `primary.<taskGroupId>.<schedulerId>._`; `primary` for any other body.
 * Bindings such as `primary.*.*.*.*.releng-hardware.*.*.*.#` then match what `publish` sends.
 */
export function pulseRoutingKey(body: unknown): string {
  if (!isObject(body)) return 'primary';
  const status = isObject(body.status) ? body.status : null;
  if (status && typeof status.taskId === 'string') {
    return [
      'primary',
      status.taskId,
      body.runId,
      body.workerGroup,
      body.workerId,
      status.provisionerId,
      status.workerType,
      status.schedulerId,
      status.taskGroupId,
      null,
    ]
      .map((w, i) => (i === 0 ? w : routingWord(w)))
      .join('.');
  }
  if (typeof body.taskGroupId === 'string') {
    return ['primary', routingWord(body.taskGroupId), routingWord(body.schedulerId), '_'].join('.');
  }
  return 'primary';
}

/**
 * Where a topic is published, the inverse of the preset's naming. Pulse: the topic names the
 * exchange, and the routing key is built from the body as Taskcluster would (pulseRoutingKey).
 */
export function destinationFor(
  preset: BusPreset,
  topic: string,
  publishExchange: string,
  body?: unknown,
): { exchange: string; routingKey: string } {
  if (preset === 'pulse') {
    return {
      exchange: PULSE_EXCHANGE_PREFIX + topic.replaceAll('.', '/'),
      routingKey: pulseRoutingKey(body),
    };
  }
  return { exchange: publishExchange, routingKey: topic };
}

/**
 * The event id the preset gives a delivery. Pulse: `<exchange>:<routing key>` hashed (its messages
 * may repeat), as the spec writes it, so anyone holding a captured message can compute its id:
 * the SHA-256 hex of that text. Otherwise the message id, else a hash of exchange, routing key
 * and body.
 */
export function eventIdOf(
  delivery: Pick<Delivery, 'exchange' | 'routingKey' | 'content' | 'messageId'>,
  preset: BusPreset,
): string {
  if (preset === 'pulse') return sha256Text(`${delivery.exchange}:${delivery.routingKey}`);
  return delivery.messageId || sha256(delivery.exchange, delivery.routingKey, delivery.content);
}

/**
 * The headers `loopabull publish` and `ctx.publish` send with a message published at `now`:
 * fedora-messaging's publisher sets its schema, severity and `sent-at` (ISO 8601 with a UTC offset
 * and no fraction); the other presets send none.
 */
export function publishHeaders(preset: BusPreset, now: Date = new Date()): Record<string, unknown> {
  if (preset !== 'fedora-messaging') return {};
  return {
    fedora_messaging_schema: 'base.message',
    fedora_messaging_severity: 20,
    'sent-at': sentAtHeader(now),
  };
}

/**
 * The event a message published now as the preset would (`destinationFor`) becomes in the looper:
 * what `loopabull run` hands the automation, so that it sees the exchange, routing key and id a
 * real delivery of that body would give it (with pulse, the id derived from the body's routing
 * key, not a new one each time). `messageId` stands for the message id a publisher would set;
 * `text`, the body's JSON text as `publish` would send it when its numbers need it (bodyText).
 */
export function eventAsPublished(
  preset: BusPreset,
  topic: string,
  body: unknown,
  opts: {
    publishExchange: string;
    messageId: string;
    routingKey?: string | undefined;
    text?: string | undefined;
    now?: Date;
  },
): LoopabullEvent {
  const dest = destinationFor(preset, topic, opts.publishExchange, body);
  const routingKey = preset === 'pulse' ? (opts.routingKey ?? dest.routingKey) : dest.routingKey;
  const at = opts.now ?? new Date();
  const headers = publishHeaders(preset, at);
  // What the looper reads: fedora-messaging's sent-at header, else the AMQP timestamp (seconds).
  const sent = headers['sent-at'];
  const sentAt =
    typeof sent === 'string'
      ? sent
      : new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
  const now = at.toISOString();
  return {
    id: eventIdOf(
      {
        exchange: dest.exchange,
        routingKey,
        content: Buffer.from(opts.text ?? JSON.stringify(body) ?? ''),
        messageId: opts.messageId,
      },
      preset,
    ),
    topic,
    body,
    ...(opts.text === undefined ? {} : { body_text: opts.text }),
    headers,
    exchange: dest.exchange,
    routing_key: routingKey,
    sent_at: sentAt,
    received_at: now,
  };
}

function sentAt(delivery: Delivery, headers: Record<string, unknown>): string | null {
  const header = headers['sent-at'];
  if (typeof header === 'string' && !Number.isNaN(Date.parse(header))) return header;
  if (typeof delivery.timestamp === 'number' && delivery.timestamp > 0) {
    return new Date(delivery.timestamp * 1000).toISOString();
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The content encodings the looper reads the body under, as UTF-8 text: fedora-messaging and
 * Pulse publish `utf-8`; ASCII is a part of it; kombu labels bytes it was handed as they are
 * `binary` (a script publishing `json.dumps(...).encode()`), and Loopabull 0.0.7, which never
 * looked at the encoding, read those too; `identity` is HTTP's word for none.
 */
const READ_ENCODINGS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', 'binary', 'identity']);

/**
 * A header's text, its name in any letter case (bridges from HTTP or STOMP write
 * `Content-Encoding`), a byte array read as UTF-8; undefined when absent or not text.
 */
function headerText(
  headers: Record<string, unknown> | undefined,
  name: string,
): string | undefined {
  for (const key in headers) {
    // The length first: most messages' headers are other names, lower-cased for nothing.
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    const value = headers[key];
    return typeof value === 'string'
      ? value
      : Buffer.isBuffer(value)
        ? value.toString()
        : undefined;
  }
  return undefined;
}

/**
 * Why the looper cannot read the body as text, or null. A compressed body is not inflated:
 * fedora-messaging's consumers refuse it too (they decode the body with the encoding as a
 * character set), and inflating would let a small message past `bus.max_bytes` grow without
 * bound in the looper. Compression is named by the AMQP `content_encoding` property, else a
 * `content-encoding` header, or by kombu's `compression` header: kombu (which mozillapulse
 * publishes with) compresses a body it was asked to (`compression='zlib'`, bz2, lzma, brotli,
 * zstd) and says so only there, still labelling it `utf-8`, which read as text was taken for
 * bytes that are not UTF-8.
 */
function encodingProblem(delivery: Delivery): string | null {
  const compression = headerText(delivery.headers, 'compression');
  if (compression !== undefined && compression.trim() !== '')
    return `body is compressed (kombu's compression header ${JSON.stringify(compression)}), which the looper does not inflate`;
  const named = delivery.contentEncoding ?? headerText(delivery.headers, 'content-encoding');
  if (named === undefined) return null;
  const trimmed = named.trim();
  if (trimmed === '' || READ_ENCODINGS.has(trimmed.toLowerCase())) return null;
  return `body has content encoding ${JSON.stringify(named)}, which the looper does not decode (it reads the body as UTF-8 text: utf-8, ascii, binary or none)`;
}

function isJsonType(contentType: string | undefined): boolean {
  return contentType === undefined || /json/i.test(contentType);
}

/**
 * Turns one delivery into an event as the preset names things (docs/architecture.md, "Events and presets"), or says why it
 * cannot be one. Pure: no I/O, so every rule is testable on its own.
 */
export function toEvent(
  delivery: Delivery,
  preset: BusPreset,
  opts: { maxBytes: number; maxDepth?: number; now?: Date },
): ToEventResult {
  const topic = preset === 'pulse' ? pulseTopic(delivery.exchange) : delivery.routingKey;
  const reject = (reason: RejectReason, detail: string): ToEventResult => ({
    ok: false,
    reason,
    detail,
    topic,
  });
  const problem = topicProblem(topic);
  if (problem) return reject('bad-topic', problem);
  if (delivery.content.length > opts.maxBytes) {
    return reject(
      'too-large',
      `body is ${delivery.content.length} bytes, over bus.max_bytes ${opts.maxBytes}`,
    );
  }
  const encoding = encodingProblem(delivery);
  if (encoding !== null) return reject('bad-encoding', encoding);
  const expectsJson = preset !== 'generic' || isJsonType(delivery.contentType);
  // A JSON body labelled otherwise (text/plain) is read as fedora-messaging reads it, whatever
  // the label; one that is not JSON is refused naming the label, which says what it is instead
  // (kombu's pickle, YAML or msgpack serializers).
  const labelled = isJsonType(delivery.contentType)
    ? ''
    : ` (content type ${JSON.stringify(delivery.contentType)})`;
  let text: string;
  try {
    text = utf8.decode(delivery.content);
  } catch {
    if (expectsJson && labelled)
      return reject('not-json', `body is not JSON${labelled}: it is not even UTF-8 text`);
    return reject('bad-utf8', 'body is not valid UTF-8');
  }
  let body: unknown = text;
  let bodyText: string | undefined;
  if (expectsJson) {
    try {
      body = JSON.parse(text);
    } catch (err) {
      return reject('not-json', `body is not JSON${labelled}: ${(err as Error).message}`);
    }
    const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (nestingDepth(body, maxDepth) > maxDepth) {
      return reject('too-deep', `body is nested deeper than bus.max_depth ${maxDepth}`);
    }
    // The text itself, not its numbers: reading them is for the playbook vars writer, on the
    // few bodies that need it, not for every message here.
    if (mayLoseNumbers(text)) bodyText = text;
  }
  const plain = plainHeaders(delivery.headers);
  if (!plain.ok) return reject('bad-headers', plain.detail);
  const headers = plain.headers;
  const id = eventIdOf(delivery, preset);
  return {
    ok: true,
    event: {
      id,
      topic,
      body,
      ...(bodyText === undefined ? {} : { body_text: bodyText }),
      headers,
      exchange: delivery.exchange,
      routing_key: delivery.routingKey,
      sent_at: sentAt(delivery, headers),
      received_at: (opts.now ?? new Date()).toISOString(),
    },
  };
}
