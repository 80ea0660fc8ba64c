import { ConfigError } from './errors.js';
import { jsonWithLiterals, keptLiterals, member } from './json-numbers.js';
import { isObject } from './json-object.js';
import { plainHeaders, sentAtHeader } from './intake.js';
import { eventIdOf, pulseTopic } from './presets.js';
import { topicProblem } from './topic.js';

/**
 * One message to publish again, with the id it had: a message that already ran does not run twice.
 * A Pulse message also carries the exchange and routing key it came on: it is published on them as
 * they are, since they, not a message id, are what the pulse preset names its job after.
 */
export interface ReplayMessage {
  topic: string;
  id: string;
  headers: Record<string, unknown>;
  body: unknown;
  /** The body's JSON text with its numbers as the file has them, when they need it (bodyText). */
  text?: string;
  pulse?: { exchange: string; routingKey: string };
  /** The AMQP priority fedora-messaging's serialized form gives, published as it was. */
  priority?: number;
}

/** AMQP's limit on an exchange name and a routing key (a short string). */
const AMQP_SHORTSTR_BYTES = 255;

/**
 * A Pulse message as Pulse users keep it (`{exchange, routingKey, payload}`, Treeherder's and
 * Taskcluster's captures; `routing_key` as mozillapulse and kombu write it): the payload is the
 * JSON body the exchange carried under that routing key. Its topic and id are those the pulse
 * preset gives it (the exchange's name; `<exchange>:<routing key>` hashed), so the id is the same
 * on every replay; it is also sent as the message id, which only the other presets read.
 */
function pulseReplay(
  item: Record<string, unknown>,
  where: string,
  literals: unknown,
): ReplayMessage {
  const { exchange, payload } = item;
  const routingKey = 'routingKey' in item ? item.routingKey : item.routing_key;
  if (!('payload' in item)) throw new ConfigError(`${where}: no "payload" (the message's body)`);
  if (typeof exchange !== 'string' || exchange === '')
    throw new ConfigError(`${where}: "exchange" must be a non-empty string`);
  if (typeof routingKey !== 'string')
    throw new ConfigError(`${where}: no "routingKey" (or "routing_key") string`);
  for (const [name, value] of [
    ['exchange', exchange],
    ['routing key', routingKey],
  ] as const)
    if (Buffer.byteLength(value) > AMQP_SHORTSTR_BYTES)
      throw new ConfigError(`${where}: the ${name} is over AMQP's ${AMQP_SHORTSTR_BYTES} bytes`);
  const topic = pulseTopic(exchange);
  const problem = topicProblem(topic);
  if (problem) throw new ConfigError(`${where}: exchange ${JSON.stringify(exchange)}: ${problem}`);
  return {
    topic,
    id: eventIdOf({ exchange, routingKey, content: Buffer.alloc(0) }, 'pulse'),
    headers: {},
    body: payload,
    ...textOf(payload, member(literals, 'payload')),
    pulse: { exchange, routingKey },
  };
}

/** Pulse messages have no topic: the exchange names what they are. */
const isPulse = (item: Record<string, unknown>) => 'exchange' in item && !('topic' in item);

/**
 * The headers a fedmsg envelope is replayed with. Datagrepper gives the fedora-messaging headers
 * of the messages it stored; a fedmsg envelope says when it was sent in `timestamp` (seconds since
 * the epoch). Without them the publisher would stamp `sent-at` with the time of the replay, and
 * `loopabull.sent_at` would say a message missed in an outage was sent after it.
 */
function envelopeHeaders(item: Record<string, unknown>): Record<string, unknown> {
  const headers = isObject(item.headers) ? { ...item.headers } : {};
  const sent = typeof item.timestamp === 'number' ? new Date(item.timestamp * 1000) : null;
  if (headers['sent-at'] === undefined && sent && !Number.isNaN(sent.getTime()))
    headers['sent-at'] = sentAtHeader(sent);
  return headers;
}

/**
 * The body's text, written with its numbers' literals, when the file's text needed them read
 * (`literals`, the message's part of numberLiterals' value, is then given).
 */
const textOf = (body: unknown, literals: unknown): { text?: string } =>
  literals === undefined ? {} : { text: jsonWithLiterals(body, literals) };

/**
 * A message as fedora-messaging serializes it (`{topic, headers, id, body}`, what
 * `fedora-messaging publish` and its dumps use), as a fedmsg envelope (`{topic, msg_id, msg}`,
 * what datagrepper returns) or as a Pulse message (`{exchange, routingKey, payload}`).
 */
function toReplay(item: unknown, where: string, literals: unknown): ReplayMessage {
  const message = readReplay(item, where, literals);
  sendable(message, where);
  return message;
}

/**
 * Refuses, before anything is published, a message AMQP cannot carry (a header name or message id
 * over a short string's bytes) or whose headers the looper would park as bad-headers: amqplib
 * refused the first only when it came to it, with its own words, the file's earlier messages
 * already sent.
 */
function sendable({ id, headers }: ReplayMessage, where: string): void {
  if (Buffer.byteLength(id) > AMQP_SHORTSTR_BYTES)
    throw new ConfigError(`${where}: the id is over AMQP's ${AMQP_SHORTSTR_BYTES} bytes`);
  const plain = plainHeaders(headers);
  if (!plain.ok) throw new ConfigError(`${where}: headers: ${plain.detail}`);
  const tables: unknown[] = [headers];
  for (let table = tables.pop(); table !== undefined; table = tables.pop()) {
    if (!table || typeof table !== 'object') continue;
    for (const [name, value] of Object.entries(table)) {
      if (!Array.isArray(table) && Buffer.byteLength(name) > AMQP_SHORTSTR_BYTES)
        throw new ConfigError(
          `${where}: header ${JSON.stringify(name.slice(0, 40) + '…')} has a name over AMQP's ${AMQP_SHORTSTR_BYTES} bytes`,
        );
      tables.push(value);
    }
  }
}

/** A serialized message's `priority`: null (fedora-messaging's default) is none. */
function priorityOf(priority: unknown, where: string): { priority?: number } {
  if (priority === undefined || priority === null) return {};
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 255)
    throw new ConfigError(`${where}: "priority" must be an integer from 0 to 255 or null`);
  return { priority };
}

function readReplay(item: unknown, where: string, literals: unknown): ReplayMessage {
  if (!isObject(item)) throw new ConfigError(`${where}: expected a message object`);
  if (isPulse(item)) return pulseReplay(item, where, literals);
  const { topic } = item;
  if (typeof topic !== 'string')
    throw new ConfigError(`${where}: no "topic" (nor "exchange", as a Pulse message has)`);
  const problem = topicProblem(topic);
  if (problem) throw new ConfigError(`${where}: ${problem}`);
  if ('body' in item && typeof item.id === 'string') {
    return {
      topic,
      id: item.id,
      headers: isObject(item.headers) ? item.headers : {},
      body: item.body,
      ...textOf(item.body, member(literals, 'body')),
      ...priorityOf(item.priority, where),
    };
  }
  if ('msg' in item && typeof item.msg_id === 'string') {
    return {
      topic,
      id: item.msg_id,
      headers: envelopeHeaders(item),
      body: item.msg,
      ...textOf(item.msg, member(literals, 'msg')),
    };
  }
  throw new ConfigError(
    `${where}: expected {topic, id, body} (fedora-messaging), {topic, msg_id, msg} (fedmsg) or {exchange, routingKey, payload} (Pulse)`,
  );
}

/**
 * Where the list of messages is in a document: the document itself, or the list inside a wrapper,
 * a page of datagrepper's `/raw` (`{raw_messages: [...], count, pages, ...}`, what an operator
 * saves with `curl .../datagrepper/raw?topic=...&start=...`) or `{messages: [...]}`, as Pulse
 * captures are often saved; else null.
 */
function listPath(doc: unknown): string[] | null {
  if (Array.isArray(doc)) return [];
  if (!isObject(doc)) return null;
  if (Array.isArray(doc.raw_messages)) return ['raw_messages'];
  return Array.isArray(doc.messages) ? ['messages'] : null;
}

const at = (value: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((v, key) => member(v, key), value);

/**
 * Messages from a JSON document (one message, a list, or a list wrapped as `{raw_messages}` or
 * `{messages}`) or from JSON lines, in order.
 */
export function parseReplay(text: string, source: string): ReplayMessage[] {
  try {
    const doc: unknown = JSON.parse(text);
    const literals = keptLiterals(text);
    const path = listPath(doc);
    if (!path) return [toReplay(doc, source, literals)];
    const listLiterals = at(literals, path);
    return (at(doc, path) as unknown[]).map((m, i) =>
      toReplay(m, `${source} item ${i + 1}`, member(listLiterals, i)),
    );
  } catch (err) {
    if (err instanceof ConfigError) throw err;
  }
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch (err) {
        throw new ConfigError(`${source} line ${n} is not JSON: ${(err as Error).message}`);
      }
      return toReplay(doc, `${source} line ${n}`, keptLiterals(line));
    });
}
