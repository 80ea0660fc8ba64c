/** `loopabull doctor` on the states of the bus an operator meets, through the real command. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { cleanUpTest, removeTempDirs, runCli, testConfig } from '@test/support';

afterAll(removeTempDirs);

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

async function doctor(configPath: string): Promise<{ code: number | null; checks: Check[] }> {
  const r = await runCli(['doctor', '--json', '--config', configPath]);
  return { code: r.code, checks: JSON.parse(r.stdout) as Check[] };
}

const bus = (checks: Check[]) => checks.find((c) => c.name === 'bus')!;

describe('loopabull doctor, the bus', () => {
  it('says the looper has not declared the queue yet, without a stack trace (a 0.0.7 config before its first run)', async () => {
    const config = testConfig();
    try {
      const { checks } = await doctor(config.configPath);
      expect(bus(checks)).toMatchObject({
        ok: true,
        detail: expect.stringContaining(
          `queue ${config.bus.queue} does not exist yet (the looper declares it)`,
        ),
      });
    } finally {
      // Its Redis check opened the work queue, which leaves the queue's keys.
      await cleanUpTest(config);
    }
  });

  it('fails on a queue that holds messages nobody consumes, and says how to get rid of it', async () => {
    const config = testConfig();
    const model = await amqp.connect(config.bus.url);
    try {
      const ch = await model.createConfirmChannel();
      await ch.assertQueue(config.bus.queue, { durable: true });
      ch.sendToQueue(config.bus.queue, Buffer.from('{}'));
      await ch.waitForConfirms();
      const { code, checks } = await doctor(config.configPath);
      expect(code).toBe(1);
      expect(bus(checks)).toMatchObject({
        ok: false,
        detail: `queue ${config.bus.queue} holds 1 messages and no looper consumes it`,
        fix: expect.stringContaining(`rabbitmqctl delete_queue ${config.bus.queue}`),
      });
    } finally {
      await model.close();
      await cleanUpTest(config);
    }
  });
});

describe('loopabull doctor, the automations', () => {
  it('checks slavealloc and taskotron on the one default SQLite file at once, without locking each other out', async () => {
    const config = testConfig();
    try {
      expect(config.database.url).toBe('sqlite:///loopabull.db');
      const { checks } = await doctor(config.configPath);
      for (const name of ['slavealloc', 'taskotron database'])
        expect(checks.find((c) => c.name === name)).toMatchObject({ ok: true });
    } finally {
      await cleanUpTest(config);
    }
  });
});

describe('loopabull doctor, the automations', () => {
  it('makes nothing it checks: no SQLite file, no artifacts directory (run as root, they would be root’s)', async () => {
    const config = testConfig();
    const dir = dirname(config.configPath);
    try {
      const { checks } = await doctor(config.configPath);
      const database = `the SQLite database ${join(dir, 'loopabull.db')} does not exist yet`;
      for (const name of ['slavealloc', 'taskotron database'])
        expect(checks.find((c) => c.name === name)).toMatchObject({
          ok: true,
          detail: expect.stringContaining(database),
        });
      expect(existsSync(join(dir, 'loopabull.db'))).toBe(false);
      expect(existsSync(join(dir, 'var'))).toBe(false);
    } finally {
      await cleanUpTest(config);
    }
  });
});
