import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { closeRedis } from '@loopabull/core';
import { freePort } from './ports.js';
import { tempDir } from './temp.js';
import { waitFor } from './wait.js';

/** Longer than any test holds writes; the release ends the hold sooner. */
const HOLD_MS = 120_000;

export interface RedisInstance {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * From now on, write commands and scripts wait (`CLIENT PAUSE … WRITE`) while reads and PING
   * are answered: a Redis that takes jobs and never confirms them. Resolves with the release
   * (which may be called again).
   */
  holdWrites(): Promise<() => Promise<void>>;
}

/**
 * Starts redis-server so that it dies with the test process, even one killed with SIGKILL: its
 * stdin is a pipe from us, and a shell waiting on that pipe stops the server once it closes. The
 * shell then execs the server, so the child we hold is redis-server itself.
 */
const DIES_WITH_US =
  'exec 3<&0; (read _ <&3; [ "$(cat /proc/$$/comm 2>/dev/null)" = redis-server ] && kill -TERM $$) & exec redis-server "$@"';

/**
 * A private redis-server on a free port with AOF on, for tests that stop or restart Redis.
 * The machine's shared Redis is never touched.
 */
export async function startRedis(): Promise<RedisInstance> {
  const port = await freePort();
  const dir = tempDir('redis');
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      'sh',
      [
        '-c',
        DIES_WITH_US,
        'redis-server',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--appendonly',
        'yes',
        '--dir',
        dir,
        '--save',
        '',
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    child.stdin!.on('error', () => undefined);
    await waitFor(
      async () => {
        const probe = new Redis(port, '127.0.0.1', {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          closeRedis(probe);
        }
      },
      { what: `redis-server on port ${port}` },
    );
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (c && c.exitCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
    // Ends the guard, which finds the server gone.
    c?.stdin?.destroy();
  };
  const holdWrites = async () => {
    const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 });
    await client.call('CLIENT', 'PAUSE', String(HOLD_MS), 'WRITE');
    let released: Promise<void> | null = null;
    return () =>
      (released ??= (async () => {
        await client.call('CLIENT', 'UNPAUSE');
        closeRedis(client);
      })());
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, holdWrites };
}
