/**
 * `loopabull looper`, `loopabull worker`, `loopabull serve` and 0.0.7's `loopabull CONFIG` stopped while they are
 * still connecting (packages/looper/README.md and packages/worker/README.md, Failures): systemd
 * stops one whose broker or Redis is away as cleanly as a running one. Their signal handlers are
 * in place before anything connects, the check of Redis's database number included, so the
 * signal stops them rather than killing them (exit 143, nothing logged), and they end their
 * connection retries and exit 0.
 */
import { once } from 'node:events';
import { afterAll, expect, it } from '@jest/globals';
import {
  cleanUpTest,
  closedPort,
  legacyConfig,
  privateVhost,
  releaseClosedPorts,
  removeTempDirs,
  startCli,
  startSilentServer,
  testConfig,
  undoAfterEach,
  type CliProcess,
} from '@test/support';

afterAll(async () => {
  await releaseClosedPorts();
  removeTempDirs();
});
const undo = undoAfterEach();

/** `loopabull ARGS`, stopped (and SIGKILLed if need be) after the test. */
function started(args: string[]): CliProcess {
  const proc = startCli(args);
  undo(() => proc.stop());
  return proc;
}

/** `loopabull looper`, `worker` or `serve` on a test's config file. */
const partOn = (part: 'looper' | 'worker' | 'serve', config: { configPath: string }) =>
  started([part, '--config', config.configPath]);

/** Sends `signal` and resolves with the exit code and the signal that ended it, if one did. */
async function stopWith(proc: CliProcess, signal: NodeJS.Signals) {
  const exited = once(proc.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  proc.child.kill(signal);
  const [code, killedBy] = await exited;
  return { code, killedBy };
}

/**
 * What the process says from the signal on: that it stops `name`, then `lines` (each on a line of
 * its own, and nothing else). A connection attempt under way when it stopped is neither retried
 * nor reported, and nothing waited for Redis in order to write what it had not taken.
 */
function expectStoppedAfter(
  output: string,
  signal: NodeJS.Signals,
  name: string,
  lines: string[],
): void {
  const said = output.slice(output.indexOf(`${signal}: stopping ${name}`));
  const expected = [`${signal}: stopping ${name}`, ...lines].map((line) => `.*${line}.*\\n`);
  expect(said).toMatch(new RegExp(`^${expected.join('')}$`));
  expect(said).not.toMatch(/retrying|cannot connect|unreachable|without writing/);
}

it('stops on SIGTERM while it retries a broker that refuses connections, exit 0', async () => {
  const busUrl = `amqp://guest:guest@127.0.0.1:${await closedPort()}`;
  const config = testConfig({ overrides: { bus: { url: busUrl } } });
  // Its Redis probe wrote a key under the test's prefix; the shared broker has nothing of it.
  undo(() => cleanUpTest(config, { amqpUrl: 'amqp://guest:guest@127.0.0.1:5672' }));
  const looper = partOn('looper', config);
  await looper.waitForOutput(/cannot connect to the bus or declare the queue, retrying/);

  expect(await stopWith(looper, 'SIGTERM')).toEqual({ code: 0, killedBy: null });
  expectStoppedAfter(looper.output(), 'SIGTERM', 'looper', ['looper stopped']);
});

it('stops on SIGINT while it waits for a Redis that refuses connections, exit 0', async () => {
  // Its queue and exchange go with the virtual host.
  const vhost = await privateVhost('connect-stop');
  undo(() => vhost.remove());
  const config = testConfig({
    overrides: {
      bus: { url: vhost.url },
      redis: { url: `redis://127.0.0.1:${await closedPort()}` },
    },
  });
  const looper = partOn('looper', config);
  // It takes no message until Redis answers, whether or not it is on the bus by then.
  await looper.waitForOutput(/Redis does not answer: waiting for it before taking messages/);

  expect(await stopWith(looper, 'SIGINT')).toEqual({ code: 0, killedBy: null });
  expectStoppedAfter(looper.output(), 'SIGINT', 'looper', ['looper stopped']);
});

it.each([
  ['looper' as const, 'looper'],
  ['worker' as const, 'worker'],
  ['serve' as const, 'server'],
])(
  '%s: stops on SIGTERM while a Redis that does not answer holds its check of the database number, exit 0',
  async (part, name) => {
    // Connected, its ready check unanswered: a frozen host, for up to 10 s of the check.
    const silent = await startSilentServer();
    undo(() => silent.close());
    const config = testConfig({
      overrides: { redis: { url: `redis://127.0.0.1:${silent.port}` } },
    });
    const proc = partOn(part, config);
    await silent.nextConnection();

    expect(await stopWith(proc, 'SIGTERM')).toEqual({ code: 0, killedBy: null });
    // Nothing of it had started yet: nothing more to say.
    expectStoppedAfter(proc.output(), 'SIGTERM', name, []);
  },
);

it('worker: stops on SIGTERM while it waits for a Redis that refuses connections, exit 0', async () => {
  const config = testConfig({
    overrides: { redis: { url: `redis://127.0.0.1:${await closedPort()}` } },
  });
  const worker = partOn('worker', config);
  await worker.waitForOutput(/queue error .*ECONNREFUSED/);

  expect(await stopWith(worker, 'SIGTERM')).toEqual({ code: 0, killedBy: null });
  // It had taken no job: no grace to wait out, no state to write, no exit 1.
  expectStoppedAfter(worker.output(), 'SIGTERM', 'worker', ['worker stopping', 'worker stopped']);
  expect(worker.output()).not.toMatch(/taking jobs/);
});

it('0.0.7 command line: stops on SIGTERM while its looper retries a broker that refuses connections, before its worker starts, exit 0', async () => {
  const rabbit = { host: '127.0.0.1', port: await closedPort() };
  const legacy = legacyConfig(rabbit, 'org.example.connect-stop');
  undo(() => cleanUpTest(legacy.config, { amqpUrl: 'amqp://guest:guest@127.0.0.1:5672' }));
  const proc = started([legacy.configPath]);
  await proc.waitForOutput(/cannot connect to the bus or declare the queue, retrying/);

  expect(await stopWith(proc, 'SIGTERM')).toEqual({ code: 0, killedBy: null });
  expectStoppedAfter(proc.output(), 'SIGTERM', 'loopabull', ['looper stopped']);
  expect(proc.output()).not.toMatch(/worker started|taking jobs/);
});
