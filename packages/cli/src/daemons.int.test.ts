/**
 * The long-running parts as their commands start and stop them (`daemons.ts`), in this process
 * on real Redis and RabbitMQ: the e2e tests run the same parts as `loopabull` processes, whose
 * signals and exits they check, but see nothing of the order of steps inside.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { BusPublisher, ConfigError, createLogger } from '@loopabull/core';
import {
  completedJob,
  freePort,
  openTestQueue,
  removeTempDirs,
  settleable,
  testConfig,
  undoAfterEach,
  waitFor,
  writeAutomation,
} from '@test/support';
import { shippedAutomations } from './automations.js';
import { looperPart, serverPart, startParts, workerPart, type Part } from './daemons.js';
import { cliWith } from './options.js';

afterAll(removeTempDirs);
const undo = undoAfterEach();
const logger = createLogger('test', 'warn');
const cli = cliWith(shippedAutomations);
const ALONE = {
  hardware: { enabled: false },
  slavealloc: { enabled: false },
  taskotron: { enabled: false },
};

/** A part whose steps and stop say what they did in `calls`. */
const recorded = (name: string, calls: string[]): Part => ({
  steps: [1, 2].map((i) => () => void calls.push(`${name} step ${i}`)),
  stop: async () => void calls.push(`${name} stop`),
});

describe('startParts', () => {
  it('runs every step of each part in turn, then stops the parts in the same order', async () => {
    const config = testConfig();
    const calls: string[] = [];
    const { started, stop } = startParts(config, [recorded('a', calls), recorded('b', calls)]);
    await started;
    await stop();
    expect(calls).toEqual(['a step 1', 'a step 2', 'b step 1', 'b step 2', 'a stop', 'b stop']);
  });

  it('begins no step once stopping: a stop during a step ends the start after that step', async () => {
    const config = testConfig();
    const calls: string[] = [];
    const inStep = settleable();
    const release = settleable();
    const waiting: Part = {
      steps: [
        async () => {
          calls.push('waiting step');
          inStep.resolve();
          await release.promise;
        },
        () => void calls.push('step after the wait'),
      ],
      stop: async () => void calls.push('waiting stop'),
    };
    const { started, stop } = startParts(config, [waiting, recorded('later', calls)]);
    await inStep.promise;
    const stopped = stop();
    release.resolve();
    await started;
    await stopped;
    expect(calls).toEqual(['waiting step', 'waiting stop', 'later stop']);
  });

  it('fails to start on a Redis database number the server does not have, and runs no step', async () => {
    const config = testConfig({ overrides: { redis: { url: 'redis://127.0.0.1:6379/4000' } } });
    const calls: string[] = [];
    const { started, stop } = startParts(config, [recorded('a', calls)]);
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await stop();
    expect(calls).toEqual(['a stop']);
  });
});

describe('the parts of looper, worker and serve', () => {
  it('a looper part and a worker part started together run a published message handler', async () => {
    const config = testConfig({ overrides: ALONE });
    writeAutomation(
      config.ansible.playbooks_dir,
      'daemons.test.mjs',
      'export default (event) => ({ got: event.body.n });\n',
    );
    const services = await openTestQueue(config, undo);
    const { started, stop } = startParts(config, [
      await looperPart(config, logger),
      await workerPart(cli, config, logger, { id: 'daemons-test', concurrency: 2 }),
    ]);
    undo(stop);
    await started;
    const publisher = new BusPublisher(config);
    undo(() => publisher.close());
    const { messageId } = await publisher.publish('daemons.test', { n: 7 });
    const job = await waitFor(() => completedJob(services.work.queue, messageId), {
      what: 'the job of the published message',
    });
    expect(job.returnvalue).toMatchObject({ outcome: 'ran', value: { got: 7 } });
  });

  it('a server part answers on http.port once started, and not after its stop', async () => {
    const port = await freePort();
    const config = testConfig({ overrides: { ...ALONE, http: { port } } });
    await openTestQueue(config, undo);
    const { started, stop } = startParts(config, [await serverPart(cli, config, logger)]);
    undo(stop);
    await started;
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(answer.status).toBe(200);
    await stop();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
