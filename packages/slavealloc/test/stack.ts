/** `loopabull serve` with slavealloc on a test database, and a listener on its events. */
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { AutomationHost, type Config } from '@loopabull/core';
import { startServer, type RunningServer } from '@loopabull/server';
import { cleanUpTest, freePort, removeTempDirs, testConfig } from '@test/support';
import { slavealloc } from '../src/automation.js';
import type { Slavealloc } from '../src/service.js';
import type { TestDatabase } from '@test/support';
import { openService, quietLogger, reloadFixtures } from './helpers.js';

export const TOKEN = 'test-token-0123456789';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on shapes
}

/** Collects the events published to the test's exchange. */
class EventLog {
  readonly seen: Array<{ topic: string; body: Record<string, unknown> }> = [];
  private waiters: Array<() => void> = [];
  constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async listen(config: Config): Promise<EventLog> {
    const model = await amqp.connect(config.bus.url);
    const channel = await model.createChannel();
    const exchange = config.bus.publish_exchange;
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, exchange, 'slavealloc.#');
    const log = new EventLog(model, channel);
    await channel.consume(queue, (msg) => msg && log.add(msg), { noAck: true });
    return log;
  }

  private add(msg: ConsumeMessage): void {
    this.seen.push({ topic: msg.fields.routingKey, body: JSON.parse(msg.content.toString()) });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the first event (in order of arrival) matching, waiting for it if need be. */
  async next(topic: string, match: (body: Record<string, unknown>) => boolean = () => true) {
    for (;;) {
      const found = this.seen.find((e) => e.topic === topic && match(e.body));
      if (found) return found.body;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${topic} event within 10 s`)), 10_000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close = () => this.model.close();
}

export interface Stack {
  config: Config & { configPath: string };
  host: AutomationHost;
  server: RunningServer;
  /** A second connection, for setting data up and looking at it. */
  seed: Slavealloc;
  events: EventLog;
  request(path: string, init?: RequestInit & { token?: string | false }): Promise<Answer>;
  stop(): Promise<void>;
}

/** Starts the server with slavealloc on `url`, with a bearer token. */
async function startStack(url: string, section: Record<string, unknown> = {}): Promise<Stack> {
  const config = testConfig({
    automations: [slavealloc],
    overrides: {
      database: { url },
      http: { port: await freePort(), token: TOKEN },
      slavealloc: section,
      loglevel: 'error',
    },
  });
  const events = await EventLog.listen(config);
  const seed = await openService(url);
  const host = await new AutomationHost(config, [slavealloc], quietLogger).start();
  const server = await startServer(config, host);
  return {
    config,
    host,
    server,
    seed,
    events,
    async request(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== false && rest.method && rest.method !== 'GET')
        headers.set('authorization', `Bearer ${token ?? TOKEN}`);
      if (rest.body !== undefined && !headers.has('content-type'))
        headers.set('content-type', 'application/json');
      const res = await fetch(server.url + path, { ...rest, headers });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
    },
    async stop() {
      await server.close();
      await host.stop();
      await seed.db.close();
      await events.close();
      await cleanUpTest(config);
      removeTempDirs();
    },
  };
}

/** A stack on a new database of `target` for a describe block, with the fixtures before each test. */
export function useStack(target: TestDatabase): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(await target.create());
  });
  afterAll(async () => {
    await stack?.stop();
    await target.remove();
  });
  beforeEach(() => reloadFixtures(stack!.seed.db));
  return () => stack!;
}
