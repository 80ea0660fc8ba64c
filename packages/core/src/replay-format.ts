import { ConfigError } from './errors.js';
import { isObject } from './json-object.js';
import { sentAtHeader } from './presets.js';
import { topicProblem } from './topic.js';

/** One message to publish again, with the id it had: a message that already ran does not run twice. */
export interface ReplayMessage {
  topic: string;
  id: string;
  headers: Record<string, unknown>;
  body: unknown;
}

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
 * A message as fedora-messaging serializes it (`{topic, headers, id, body}`, what
 * `fedora-messaging publish` and its dumps use) or as a fedmsg envelope (`{topic, msg_id, msg}`,
 * what datagrepper returns).
 */
function toReplay(item: unknown, where: string): ReplayMessage {
  if (!isObject(item)) throw new ConfigError(`${where}: expected a message object`);
  const { topic } = item;
  if (typeof topic !== 'string') throw new ConfigError(`${where}: no "topic"`);
  const problem = topicProblem(topic);
  if (problem) throw new ConfigError(`${where}: ${problem}`);
  if ('body' in item && typeof item.id === 'string') {
    return {
      topic,
      id: item.id,
      headers: isObject(item.headers) ? item.headers : {},
      body: item.body,
    };
  }
  if ('msg' in item && typeof item.msg_id === 'string') {
    return { topic, id: item.msg_id, headers: envelopeHeaders(item), body: item.msg };
  }
  throw new ConfigError(
    `${where}: expected {topic, id, body} (fedora-messaging) or {topic, msg_id, msg} (fedmsg)`,
  );
}

/**
 * The messages of a page of datagrepper's `/raw` (`{raw_messages: [...], count, pages, ...}`),
 * what an operator saves with `curl .../datagrepper/raw?topic=...&start=...`; else null.
 */
const datagrepperPage = (doc: unknown): unknown[] | null =>
  isObject(doc) && Array.isArray(doc.raw_messages) ? doc.raw_messages : null;

/**
 * Messages from a JSON document (one message, a list, or a datagrepper page) or from JSON lines,
 * in order.
 */
export function parseReplay(text: string, source: string): ReplayMessage[] {
  try {
    const doc: unknown = JSON.parse(text);
    const list = Array.isArray(doc) ? doc : datagrepperPage(doc);
    return list
      ? list.map((m, i) => toReplay(m, `${source} item ${i + 1}`))
      : [toReplay(doc, source)];
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
      return toReplay(doc, `${source} line ${n}`);
    });
}
