import { ConfigError } from '../errors.js';
import { isObject, type JsonObject } from '../json-object.js';

type Raw = JsonObject;

/** The scheme and host of the bus URL; pika took an IPv6 address bare, a URL needs brackets. */
function baseUrl(scheme: string, host: unknown): URL {
  const name = typeof host === 'string' && host !== '' ? host : 'localhost';
  try {
    return new URL(
      `${scheme}://${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}`,
    );
  } catch {
    throw new ConfigError(
      `plugins.looper.rabbitmq.host: ${JSON.stringify(name)} is not a host name or address`,
    );
  }
}

/**
 * The work queue of a 0.0.7 looper block with a `channel_queue`: named after it (what a queue
 * name cannot hold as `_`), else null. Each 0.0.7 file's process read its own broker queue, so
 * two files on one host were apart; on one shared work queue a worker of one would take the
 * other's jobs and find no playbook for them.
 */
export function workQueueFromLegacyLooper(looper: Raw): string | null {
  const queue = isObject(looper.channel_queue) ? looper.channel_queue.name : undefined;
  return typeof queue === 'string' && queue !== '' ? queue.replace(/[^A-Za-z0-9_-]/g, '_') : null;
}

/**
 * Loopabull 0.0.7 configured the bus inside `plugins.looper` (the fedmsgrabbitmq looper's
 * keys). When a file has that block and no `bus` section, the same settings become `bus`, so
 * an old file loads unchanged and consumes what it consumed before.
 */
export function busFromLegacyLooper(looper: Raw): Raw {
  const bus: Raw = {};
  const rabbit = isObject(looper.rabbitmq) ? looper.rabbitmq : {};
  const creds = isObject(looper.credentials) ? looper.credentials : {};
  // An empty `tls: {}` is false in Python: 0.0.7 then logged in with `credentials`, not TLS.
  const tls = isObject(looper.tls) && Object.keys(looper.tls).length > 0 ? looper.tls : null;
  // 0.0.7 passed `rabbitmq` to pika's ConnectionParameters as keyword arguments, so what the
  // block leaves out is pika's default (host localhost, the scheme's port, virtual host /), while
  // `credentials` log in wherever that is: a file with credentials and no host used the local
  // broker as that user, and must not become guest.
  if (isObject(looper.rabbitmq) || isObject(looper.credentials) || tls) {
    const url = baseUrl(tls ? 'amqps' : 'amqp', rabbit.host);
    if (typeof rabbit.port === 'number') url.port = String(rabbit.port);
    // With TLS, 0.0.7 logged in with its client certificate (pika's ExternalCredentials) and
    // ignored `credentials`: a URL without a password does the same (bus.ts).
    if (!tls) {
      url.username = encodeURIComponent(String(creds.username ?? 'guest'));
      url.password = encodeURIComponent(String(creds.password ?? 'guest'));
    }
    if (typeof rabbit.virtual_host === 'string') {
      url.pathname = '/' + encodeURIComponent(rabbit.virtual_host);
    }
    bus.url = url.toString();
  }
  if (tls) bus.tls = tls;
  const queue = isObject(looper.channel_queue) ? looper.channel_queue.name : undefined;
  if (typeof queue === 'string') bus.queue = queue;
  const exchange =
    isObject(looper.exchange) && typeof looper.exchange.name === 'string'
      ? looper.exchange.name
      : 'amq.topic';
  // An empty list is false in Python, as for `tls`: no list, so the default binding, as when absent.
  if (Array.isArray(looper.routing_keys) && looper.routing_keys.length > 0) {
    bus.bindings = looper.routing_keys.map((key) => ({ exchange, routing_key: key }));
  }
  // What `loopabull publish` and ctx.publish send to: the exchange this looper is bound to, so
  // that a published message reaches it (the default, amq.topic, would miss another exchange).
  bus.publish_exchange = exchange;
  return bus;
}
