import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { closeRedis } from '@loopabull/core';
import { freePort } from './ports.js';
import { tempDir } from './temp.js';
import { tlsClientOptions, type TestCertificates } from './tls.js';
import { waitFor } from './wait.js';

/** Longer than any test holds writes; the release ends the hold sooner. */
const HOLD_MS = 120_000;

export interface RedisInstance {
  /** redis://, or rediss:// with `tls` (the server then has no plain port). */
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /**
   * SIGSTOP: the server keeps its connections open and answers nothing, as a frozen host or a
   * swapping machine does. `thaw` (SIGCONT) lets it answer what waited.
   */
  freeze(): void;
  thaw(): void;
  /** CONFIG SET, e.g. another `tls-cert-file` that new connections then get. */
  configure(settings: Record<string, string>): Promise<void>;
  /**
   * From now on, write commands and scripts wait (`CLIENT PAUSE … WRITE`) while reads and PING
   * are answered: a Redis that takes jobs and never confirms them. Resolves with the release
   * (which may be called again).
   */
  holdWrites(): Promise<() => Promise<void>>;
  /** How many connections the server has besides the one asking: what a failed start left open. */
  connections(): Promise<number>;
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
 * The machine's shared Redis is never touched. With `tls`, it listens with TLS only, with the
 * test CA's server certificate, and does not ask clients for one.
 */
export async function startRedis(opts: { tls?: TestCertificates } = {}): Promise<RedisInstance> {
  let port = 0;
  const dir = tempDir('redis');
  const { tls } = opts;
  const listen = () =>
    tls
      ? [
          ...['--port', '0', '--tls-port', String(port)],
          ...['--tls-cert-file', tls.serverCert, '--tls-key-file', tls.serverKey],
          ...['--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'],
        ]
      : ['--port', String(port)];
  const client = (): RedisOptions => ({
    port,
    host: '127.0.0.1',
    // With its client certificate, so that it still gets in once the test sets tls-auth-clients.
    ...(tls ? { tls: tlsClientOptions(tls) } : {}),
  });
  let child: ChildProcess | null = null;
  let frozen = false;
  /**
   * Runs the server and resolves once it answers, or once it exited: its port, free when chosen,
   * can be taken before it binds it (by a process of another test, or an outgoing connection).
   * What answers must be this server (its pid), not another that holds the port.
   */
  const run = async (): Promise<'up' | 'exited'> => {
    const proc = spawn(
      'sh',
      [
        '-c',
        DIES_WITH_US,
        'redis-server',
        ...listen(),
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
    child = proc;
    proc.stdin!.on('error', () => undefined);
    const outcome = await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return 'exited';
        const probe = new Redis({
          ...client(),
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await probe.connect();
          const info = await probe.info('server');
          return /^process_id:(\d+)/m.exec(info)?.[1] === String(proc.pid) ? 'up' : null;
        } finally {
          closeRedis(probe);
        }
      },
      { what: `redis-server on port ${port}` },
    );
    // Ends its guard, which would wait for us otherwise.
    if (outcome === 'exited') proc.stdin!.destroy();
    return outcome;
  };
  /** Again, on the port its clients know. */
  const start = async () => {
    if ((await run()) === 'exited')
      throw new Error(`redis-server on port ${port} exited as it started (its port taken since?)`);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (c && c.exitCode === null) {
      // A stopped process would hold the SIGTERM until continued.
      if (frozen) c.kill('SIGCONT');
      frozen = false;
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
    // Ends the guard, which finds the server gone.
    c?.stdin?.destroy();
  };
  const holdWrites = async () => {
    const admin = new Redis({ ...client(), maxRetriesPerRequest: 0 });
    await admin.call('CLIENT', 'PAUSE', String(HOLD_MS), 'WRITE');
    let released: Promise<void> | null = null;
    return () =>
      (released ??= (async () => {
        await admin.call('CLIENT', 'UNPAUSE');
        closeRedis(admin);
      })());
  };
  const signal = (name: 'SIGSTOP' | 'SIGCONT') => {
    if (!child || child.exitCode !== null)
      throw new Error(`redis-server on port ${port} is not running`);
    child.kill(name);
  };
  const freeze = () => {
    signal('SIGSTOP');
    frozen = true;
  };
  const thaw = () => {
    signal('SIGCONT');
    frozen = false;
  };
  const configure = async (settings: Record<string, string>) => {
    const admin = new Redis({ ...client(), maxRetriesPerRequest: 0 });
    try {
      await admin.config('SET', ...Object.entries(settings).flat());
    } finally {
      closeRedis(admin);
    }
  };
  const connections = async () => {
    const admin = new Redis({ ...client(), maxRetriesPerRequest: 0 });
    try {
      const list = (await admin.client('LIST')) as string;
      return list.trim().split('\n').length - 1;
    } finally {
      await closeRedis(admin);
    }
  };
  // A few free ports in turn: one taken before the server bound it is not the test's failure.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    if ((await run()) === 'up') break;
    if (attempt === 3)
      throw new Error(
        `redis-server exited as it started, ${attempt} times: the last on port ${port}`,
      );
  }
  const url = `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`;
  return { url, port, stop, start, holdWrites, freeze, thaw, configure, connections };
}
