/**
 * `loopabull looper` stopped while it is still connecting (packages/looper/README.md, Failures):
 * systemd stops a looper whose broker or Redis is away as cleanly as a running one. Its signal
 * handler is in place before it connects, so the signal stops it rather than killing it (exit
 * 143, nothing logged), and it ends its connection retries and exits 0.
 */
import { once } from 'node:events';
import { afterAll, expect, it } from '@jest/globals';
import {
  cleanUpTest,
  closedPort,
  privateVhost,
  releaseClosedPorts,
  removeTempDirs,
  startCli,
  testConfig,
  undoAfterEach,
  type CliProcess,
} from '@test/support';

afterAll(async () => {
  await releaseClosedPorts();
  removeTempDirs();
});
const undo = undoAfterEach();

/** `loopabull looper` on a test's config file, stopped (and SIGKILLed if need be) after the test. */
function looperOn(config: { configPath: string }): CliProcess {
  const looper = startCli(['looper', '--config', config.configPath]);
  undo(() => looper.stop());
  return looper;
}

/** Sends `signal` and resolves with the exit code and the signal that ended it, if one did. */
async function stopWith(looper: CliProcess, signal: NodeJS.Signals) {
  const exited = once(looper.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  looper.child.kill(signal);
  const [code, killedBy] = await exited;
  return { code, killedBy };
}

/** What the looper says from the signal on: it stops, and says so once it has. */
function expectStoppedAfter(output: string, signal: NodeJS.Signals): void {
  const said = output.slice(output.indexOf(`${signal}: stopping looper`));
  expect(said).toMatch(new RegExp(`^${signal}: stopping looper\\n.*looper stopped\\n$`, 's'));
  // A connection attempt under way when it stopped is neither retried nor reported.
  expect(said).not.toMatch(/retrying|cannot connect/);
}

it('stops on SIGTERM while it retries a broker that refuses connections, exit 0', async () => {
  const busUrl = `amqp://guest:guest@127.0.0.1:${await closedPort()}`;
  const config = testConfig({ overrides: { bus: { url: busUrl } } });
  // Its Redis probe wrote a key under the test's prefix; the shared broker has nothing of it.
  undo(() => cleanUpTest(config, { amqpUrl: 'amqp://guest:guest@127.0.0.1:5672' }));
  const looper = looperOn(config);
  await looper.waitForOutput(/cannot connect to the bus or declare the queue, retrying/);

  expect(await stopWith(looper, 'SIGTERM')).toEqual({ code: 0, killedBy: null });
  expectStoppedAfter(looper.output(), 'SIGTERM');
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
  const looper = looperOn(config);
  // It takes no message until Redis answers, whether or not it is on the bus by then.
  await looper.waitForOutput(/Redis does not answer: waiting for it before taking messages/);

  expect(await stopWith(looper, 'SIGINT')).toEqual({ code: 0, killedBy: null });
  expectStoppedAfter(looper.output(), 'SIGINT');
});
