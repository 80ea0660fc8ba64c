import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import amqp, {
  type Channel,
  type ConfirmChannel,
  type RecoveringChannelModel,
  type ChannelModel,
} from 'amqplib';
import type { Config } from './config/schema.js';
import { whyUnreadable } from './config/unreadable.js';
import { ConfigError } from './errors.js';
import { destinationFor, publishHeaders } from './presets.js';
import { redactUrl } from './redact-url.js';

type BusConfig = Pick<Config, 'bus'> & Partial<Pick<Config, 'source'>>;

/**
 * Connection tuning in the URL under the names of RabbitMQ's URI spec, which pika and
 * fedora-messaging's `amqp_url` use, and under which amqplib reads it. amqplib ignores the
 * spec's names, so a pasted `?frame_max=8192` would silently do nothing.
 */
const URI_SPEC_TUNING = { frame_max: 'frameMax', channel_max: 'channelMax' } as const;

/**
 * The broker URL as amqplib reads it: the URI spec's `frame_max` and `channel_max` also under
 * amqplib's names (those win when both are given), `locale` as it is, and a heartbeat always.
 * A `heartbeat` of whole seconds in the URL is kept: the operator wrote it there. Otherwise
 * `bus.heartbeat` is set, `heartbeat=0` included: with heartbeats a frozen broker or a dead
 * route is noticed in seconds (the original hung on such a socket until someone restarted it),
 * so they are never turned off.
 */
function busUrl(config: BusConfig): string {
  const url = new URL(config.bus.url);
  const query = url.searchParams;
  for (const [spec, amqplib] of Object.entries(URI_SPEC_TUNING)) {
    const value = query.get(spec);
    if (value !== null && !query.has(amqplib)) query.set(amqplib, value);
  }
  const given = query.get('heartbeat');
  if (!(given !== null && /^\d+$/.test(given) && Number(given) > 0))
    query.set('heartbeat', String(Math.max(1, Math.round(config.bus.heartbeat))));
  return url.toString();
}

/**
 * A connect timeout, so an unanswering broker fails the attempt, plus TLS client certificates if
 * set. With a client certificate and no password in the URL, the certificate is the login (SASL
 * EXTERNAL), as fedora-messaging and Loopabull 0.0.7 log in to Fedora's broker; otherwise the
 * URL's user and password are.
 */
export function busSocketOptions(config: BusConfig) {
  const { tls } = config.bus;
  const certificateLogin = tls.certfile !== null && !new URL(config.bus.url).password;
  const read = (key: keyof typeof tls, path: string) => readTlsFile(config, key, path);
  const files = {
    ...(tls.ca_cert ? { ca: [read('ca_cert', tls.ca_cert)] } : {}),
    ...(tls.certfile ? { cert: read('certfile', tls.certfile) } : {}),
    ...(tls.keyfile ? { key: read('keyfile', tls.keyfile) } : {}),
  };
  checkTlsFiles(config, files);
  return {
    timeout: config.bus.connect_timeout * 1000,
    ...files,
    credentials: certificateLogin ? amqp.credentials.external() : urlCredentials(config.bus.url),
  };
}

/**
 * What OpenSSL makes of the `bus.tls` files before any broker is asked: a file that is not PEM,
 * or a key that is not the certificate's, is the configuration's fault, which every retry would
 * meet again (the looper retried for ever).
 */
function checkTlsFiles(
  config: BusConfig,
  files: Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>,
) {
  try {
    createSecureContext(files);
  } catch (err) {
    const where = config.source ? ` in ${config.source}` : '';
    // OpenSSL's `error:0480006C:PEM routines::no start line`, as `PEM routines: no start line`.
    const { message } = err as Error;
    const [, library, why] = /^error:[0-9a-f]+:([^:]*):[^:]*:(.*)$/is.exec(message) ?? [];
    const reason = library ? `${library}: ${why}` : message;
    throw Object.assign(
      new ConfigError(`bus.tls${where}: OpenSSL refuses its files: ${reason}`, { cause: err }),
      {
        fix: 'give PEM files: the CA as ca_cert, the client certificate as certfile and its own private key as keyfile',
      },
    );
  }
}

/**
 * The URL's user and password, as amqplib would take them (guest/guest when there are none) but
 * %-decoded as UTF-8, as RabbitMQ's URI spec and pika have them: amqplib's `unescape` reads
 * `p%C3%A4ss` as Latin-1, and the broker refused such a password. An escape that is not UTF-8
 * is read as amqplib did.
 */
function urlCredentials(url: string) {
  const { username, password } = new URL(url);
  if (username === '' && password === '') return amqp.credentials.plain('guest', 'guest');
  const decoded = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return unescape(part);
    }
  };
  return amqp.credentials.plain(decoded(username), decoded(password));
}

/**
 * A `bus.tls` file, read when a connection is set up (a command that never connects to the bus
 * does not need to read a key only the services' user may). One that cannot be read is the
 * configuration's fault, exit 2 naming the key and the file, which no retry or broker mends.
 */
function readTlsFile(config: BusConfig, key: keyof Config['bus']['tls'], path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const where = config.source ? ` in ${config.source}` : '';
    const why = whyUnreadable(err as NodeJS.ErrnoException);
    throw Object.assign(
      new ConfigError(`bus.tls.${key}${where}: ${path} cannot be read: ${why}`, { cause: err }),
      { fix: `correct the path, or let the services' user read the file` },
    );
  }
}

/** A connection that reconnects by itself with backoff, re-running `setup` after each connect. */
export function connectRecovering(
  config: BusConfig,
  setup: (model: ChannelModel) => Promise<void>,
): Promise<RecoveringChannelModel> {
  return amqp.connect(busUrl(config), {
    ...busSocketOptions(config),
    recovery: {
      initialDelay: 200,
      maxDelay: 10_000,
      maxRetries: Infinity,
      waitForConnect: false,
      setup,
    },
  });
}

/**
 * What went wrong connecting to the broker, for an operator. amqplib reports a broker that
 * refuses the virtual host (missing, or the user may not use it) as an unexpected frame and
 * drops the broker's reason, so that one is said in words, naming the vhost and the user.
 */
export function busFault(err: Error, url: string): string {
  if (plainPort(err)) return 'the port does not speak TLS (OpenSSL: wrong version number)';
  if (!vhostRefused(err)) return err.message;
  const { vhost, user } = vhostAndUser(url);
  return `the broker refused to open virtual host ${JSON.stringify(vhost)}: it does not exist, or user ${JSON.stringify(user)} has no permission on it (rabbitmqctl list_vhosts, list_user_permissions ${shellWord(user)})`;
}

/** An amqps:// URL naming a port where the broker speaks plain AMQP: OpenSSL reads its greeting as a TLS record. */
const plainPort = (err: Error) =>
  (err as NodeJS.ErrnoException).code === 'ERR_SSL_WRONG_VERSION_NUMBER';

const vhostRefused = (err: Error) =>
  /^Expected ConnectionOpenOk; got <ConnectionClose/.test(err.message);

/** The virtual host and user a bus URL names (`/` and guest when it names none). */
export function vhostAndUser(url: string): { vhost: string; user: string } {
  const { pathname, username } = new URL(url);
  return {
    vhost: pathname.length > 1 ? decodeURIComponent(pathname.slice(1)) : '/',
    user: decodeURIComponent(username) || 'guest',
  };
}

/** A word as a shell reads it back, for commands an operator copies: quoted when it must be. */
export const shellWord = (word: string) =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * What to do about a broker that answered but refused us, or undefined when it did not answer
 * (then the fix is to start it or correct the URL's host). A refused login or virtual host is
 * not mended by starting RabbitMQ, which is what an operator would otherwise be told.
 */
function busFix(err: Error, url: string): string | undefined {
  const where = `bus.url / $AMQP_URL (now ${redactUrl(url)})`;
  if (vhostRefused(err)) {
    const names = vhostAndUser(url);
    const [vhost, user] = [names.vhost, names.user].map(shellWord);
    return `create the virtual host and let the user use it (rabbitmqctl add_vhost ${vhost}; rabbitmqctl set_permissions -p ${vhost} ${user} '.*' '.*' '.*'), or correct the virtual host in ${where}`;
  }
  // amqplib's words for the broker's connection.close during the handshake: a login refused.
  if (/^Handshake terminated by server: 403\b/.test(err.message))
    return `correct the user and password in ${where}, or bus.tls when the client certificate is the login; the broker's log says why it refused`;
  if (plainPort(err))
    return `use amqp:// for a port that speaks plain AMQP (5672 by default), or amqps:// with the broker's TLS port (5671 by default), in ${where}`;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return TLS_FIXES.find(([test]) => test.test(code) || test.test(err.message))?.[1];
}

/** What to do about a TLS handshake that failed, by Node's or OpenSSL's code (or words). */
const TLS_FIXES: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED)$/,
    "give the CA that signed the broker's certificate as bus.tls.ca_cert (without it, the system's CAs are trusted)",
  ],
  [
    /^ERR_TLS_CERT_ALTNAME_INVALID$/,
    "connect by a host name the broker's certificate names (its subjectAltName) in bus.url, or have the broker's certificate name this one",
  ],
  [/^CERT_HAS_EXPIRED$/, "the broker's certificate has expired: its operators must renew it"],
  [
    /CERTIFICATE_REQUIRED|certificate required/,
    'the broker asks for a client certificate: set bus.tls.certfile and bus.tls.keyfile',
  ],
  [
    /ALERT_(UNKNOWN_CA|BAD_CERTIFICATE)|unknown ca|bad certificate/,
    'the broker does not trust the client certificate (bus.tls.certfile): use one signed by a CA the broker trusts',
  ],
  [
    /KEY_VALUES_MISMATCH|key values mismatch/,
    'bus.tls.keyfile is not the key of bus.tls.certfile: give the pair that belongs together',
  ],
  [
    /SASL mechanism EXTERNAL is not provided/,
    'enable the rabbitmq_auth_mechanism_ssl plugin on the broker to log in with the client certificate, or give a user and password in bus.url',
  ],
];

/** connectOnce's failure: the message names the broker; `reason` is why, for callers that name it themselves. */
export class BusUnreachable extends Error {
  override name = 'BusUnreachable';
  /** What to do about it, when the broker answered and refused (`loopabull doctor` prints it). */
  readonly fix: string | undefined;
  constructor(
    url: string,
    readonly reason: string,
    cause: unknown,
  ) {
    super(`cannot reach the bus at ${redactUrl(url)}: ${reason}`, { cause });
    this.fix = cause instanceof Error ? busFix(cause, url) : undefined;
  }
}

/**
 * A one-shot connection for commands and readiness checks: fails if the broker does not answer,
 * with an error naming the broker, since a socket's own (a refused certificate, a refused
 * connection) does not say which one.
 */
export async function connectOnce(config: BusConfig): Promise<ChannelModel> {
  try {
    return await amqp.connect(busUrl(config), busSocketOptions(config));
  } catch (err) {
    // A bus.tls file that cannot be read: the broker was not asked.
    if (err instanceof ConfigError) throw err;
    throw new BusUnreachable(config.bus.url, busFault(err as Error, config.bus.url), err);
  }
}

/** The exchange a publish needs is not on the broker, and `bus.declare_exchanges` is false. */
export class ExchangeMissing extends Error {
  override name = 'ExchangeMissing';
  constructor(
    readonly exchange: string,
    cause: unknown,
  ) {
    super(
      `exchange ${JSON.stringify(exchange)} does not exist on the broker, and bus.declare_exchanges is false ` +
        '(its owner declares it on its first message; on a broker you run, set bus.declare_exchanges: true)',
      { cause },
    );
  }
}

/**
 * Declares one exchange as the looper binds to it (a durable topic exchange), or, with
 * `bus.declare_exchanges: false` (exchanges that belong to someone else, as on Pulse, which
 * refuses such declarations; one made here would not be the owner's), only checks that it
 * exists: a missing one is an ExchangeMissing naming it, rather than the broker's 404.
 */
export async function ensureExchange(
  ch: Channel,
  exchange: string,
  bus: Pick<Config['bus'], 'declare_exchanges'>,
): Promise<void> {
  if (bus.declare_exchanges) {
    await ch.assertExchange(exchange, 'topic', { durable: true });
    return;
  }
  try {
    await ch.checkExchange(exchange);
  } catch (err) {
    if (!/\b404\b/.test((err as Error).message)) throw err;
    throw new ExchangeMissing(exchange, err);
  }
}

/**
 * Whether `exchange` is the bus user's own as Pulse names them, `exchange/<user>/…`: Pulse lets a
 * user declare exactly those, and nobody but their publisher ever does, so a publisher (a
 * handler's ctx.publish) declares it even with `bus.declare_exchanges: false`.
 */
function ownExchange(exchange: string, url: string): boolean {
  try {
    return exchange.startsWith(`exchange/${vhostAndUser(url).user}/`);
  } catch {
    return false; // An unparsable URL: connectOnce has said so already.
  }
}

export interface PublishOptions {
  messageId?: string;
  headers?: Record<string, unknown>;
  /** Pulse only: the routing key (ids), since the topic is the exchange there. */
  routingKey?: string;
  /**
   * The exchange to publish on as it is, instead of the preset's for the topic: a replayed Pulse
   * message's own, which the topic does not always give back (`exchange/a.b/c` and
   * `exchange/a/b/c` have the same topic).
   */
  exchange?: string;
  /**
   * The body's JSON text, sent as it is instead of JSON.stringify(body): a body read from a file
   * whose numbers must reach the looper as written (`1.0`; bodyText).
   */
  text?: string;
  /** The AMQP priority (0-255): a replayed fedora-messaging message's own. */
  priority?: number;
}

/** Where a message went: `routed` is false when no queue was bound to take it (the broker dropped it). */
export interface Published {
  exchange: string;
  routingKey: string;
  messageId: string;
  routed: boolean;
}

/**
 * Publishes events to the bus as the configured preset's publishers do, on a confirm channel:
 * `publish` resolves once the broker has the message. Messages are mandatory, so the broker says
 * when no queue took one.
 */
export class BusPublisher {
  private model: ChannelModel | null = null;
  private channel: Promise<ConfirmChannel> | null = null;
  private readonly asserted = new Set<string>();
  /** Why the broker closed the last channel (a refused publish), to say instead of amqplib's "channel closed". */
  private closedBecause: Error | null = null;
  /** Message ids the broker returned as unroutable; it returns one before confirming it. */
  private readonly returned = new Set<string>();

  constructor(private readonly config: BusConfig) {}

  private open(): Promise<ConfirmChannel> {
    this.channel ??= (async () => {
      if (!this.model) {
        const model = await connectOnce(this.config);
        const reset = () => {
          this.channel = null;
          this.model = null;
          this.asserted.clear();
        };
        model.on('close', reset);
        model.on('error', reset);
        this.model = model;
      }
      const ch = await this.model.createConfirmChannel();
      // A channel the broker closed (a refused or missing exchange) leaves the connection open:
      // the next publish opens another channel on it, and close() still closes the connection.
      this.closedBecause = null;
      ch.on('error', (err: Error) => {
        this.channel = null;
        this.asserted.clear();
        // amqplib then fails the unconfirmed publishes with only "channel closed".
        this.closedBecause = err;
      });
      ch.on('return', (msg: { properties: { messageId?: unknown } }) => {
        if (typeof msg.properties.messageId === 'string')
          this.returned.add(msg.properties.messageId);
      });
      return ch;
    })().catch((err: unknown) => {
      this.channel = null;
      throw err;
    });
    return this.channel;
  }

  async publish(topic: string, body: unknown, opts: PublishOptions = {}): Promise<Published> {
    const { preset, publish_exchange } = this.config.bus;
    const dest = destinationFor(preset, topic, publish_exchange, body);
    if (opts.exchange !== undefined) dest.exchange = opts.exchange;
    const routingKey = opts.routingKey ?? dest.routingKey;
    const messageId = opts.messageId ?? randomUUID();
    const now = new Date();
    const headers: Record<string, unknown> = { ...publishHeaders(preset, now), ...opts.headers };
    const ch = await this.open();
    if (!dest.exchange.startsWith('amq.') && !this.asserted.has(dest.exchange)) {
      const { declare_exchanges, url } = this.config.bus;
      await ensureExchange(ch, dest.exchange, {
        declare_exchanges: declare_exchanges || ownExchange(dest.exchange, url),
      });
      this.asserted.add(dest.exchange);
    }
    await new Promise<void>((resolve, reject) => {
      ch.publish(
        dest.exchange,
        routingKey,
        Buffer.from(opts.text ?? JSON.stringify(body)),
        {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          persistent: true,
          mandatory: true,
          messageId,
          timestamp: Math.floor(now.getTime() / 1000),
          headers,
          ...(opts.priority === undefined ? {} : { priority: opts.priority }),
        },
        (err) => (err ? reject(this.publishFault(err, dest.exchange, routingKey)) : resolve()),
      );
    });
    const routed = !this.returned.delete(messageId);
    return { exchange: dest.exchange, routingKey, messageId, routed };
  }

  /**
   * A publish the broker refused, naming the exchange and the broker's reason: a user without
   * write permission on it (on Pulse, anyone but its owner: a user may publish only to
   * `exchange/<user>/…`) or an exchange deleted since it was checked.
   */
  private publishFault(err: Error, exchange: string, routingKey: string): Error {
    const reason = this.closedBecause;
    if (!reason) return err;
    const refused = /\b403\b/.test(reason.message)
      ? ': this user may not publish to it (on Pulse only exchange/<user>/… may be published to)'
      : '';
    return new Error(
      `the broker refused the message for exchange ${JSON.stringify(exchange)} with routing key ${JSON.stringify(routingKey)}${refused}: ${reason.message}`,
      { cause: err },
    );
  }

  async close(): Promise<void> {
    const model = this.model;
    this.channel = null;
    this.model = null;
    await model?.close().catch(() => undefined);
  }
}
