import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { removeTempDirs, waitFor, writeAutomation } from '@test/support';
import { buildWorkerPackage, harness, type Harness } from '../test/harness.js';

// Handlers run in worker processes on the built package: Jest's own module loader would stand in
// for Node's (it supports neither tsx's loader hooks nor a fresh module per modification time).
beforeAll(() => buildWorkerPackage(), 60_000);

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});
afterAll(() => removeTempDirs());

const TS_HANDLER = `

interface Build { nvr: string; }

const handler: Handler = async (event, ctx) => {
  const build = event.body as Build;
  await ctx.log(\`tagging \${build.nvr}\`);
  await ctx.redis.set(\`\${ctx.config.redis.prefix}:seen\`, build.nvr);
  await ctx.publish('org.example.tagged', { nvr: build.nvr, by: ctx.job.id });
  const echoed = await ctx.automation('echo')(event, ctx);
  ctx.logger.debug('done');
  return { nvr: build.nvr, job: ctx.job, echoed, aborted: ctx.signal.aborted };
};
export default handler;
`;

describe('worker running handlers', () => {
  it('runs a .ts handler with its context; its return value is the job result', async () => {
    h = await harness();
    const { config } = h;
    const conn = await amqp.connect(config.bus.url);
    try {
      const ch = await conn.createChannel();
      await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, config.bus.publish_exchange, '#');
      const received = new Promise<amqp.ConsumeMessage>((resolve) => {
        void ch.consume(queue, (msg) => msg && resolve(msg), { noAck: true });
      });

      writeAutomation(config.ansible.playbooks_dir, 'org.example.built.ts', TS_HANDLER);
      // The worker process has one automation, `echo`.
      await h.startWorkerProcess();
      const job = await h.add('org.example.built', { nvr: 'bash-5.2-1.fc41' });

      expect(await h.finished(job)).toEqual({
        outcome: 'ran',
        file: 'org.example.built.ts',
        kind: 'handler',
        value: {
          nvr: 'bash-5.2-1.fc41',
          job: { id: job.id, attempt: 1 },
          echoed: { echo: 'org.example.built' },
          aborted: false,
        },
      });
      expect(await h.logs(job)).toMatch(
        /running handler org\.example\.built\.ts[\s\S]*\ntagging bash-5\.2-1\.fc41/,
      );
      expect(await h.redis.get(`${config.redis.prefix}:seen`)).toBe('bash-5.2-1.fc41');

      const msg = await received;
      expect(msg.fields.routingKey).toBe('org.example.tagged');
      expect(JSON.parse(msg.content.toString())).toEqual({ nvr: 'bash-5.2-1.fc41', by: job.id });
    } finally {
      // On a channel of its own: a failed assertion may have left the first one closed.
      await (await conn.createChannel()).deleteExchange(config.bus.publish_exchange);
      await conn.close();
    }
  });

  it('runs a .mjs handler, and an edited handler without a restart', async () => {
    h = await harness();
    const file = 'org.example.edit.mjs';
    writeAutomation(
      h.config.ansible.playbooks_dir,
      file,
      'export default async (event) => ({ version: 1, body: event.body });\n',
    );
    await h.startWorkerProcess();
    expect(await h.finished(await h.add('org.example.edit', [1]))).toMatchObject({
      kind: 'handler',
      value: { version: 1, body: [1] },
    });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      file,
      'export default async () => ({ version: 2, edited: true });\n',
    );
    expect(await h.finished(await h.add('org.example.edit'))).toMatchObject({
      value: { version: 2, edited: true },
    });

    // A deploy that copies with times preserved (rsync -a, cp -p) can leave the size and the
    // modification time as they were: the change of the file is what counts.
    const path = join(h.config.ansible.playbooks_dir, file);
    const deployed = new Date('2026-01-01T00:00:00Z');
    utimesSync(path, deployed, deployed);
    expect(await h.finished(await h.add('org.example.edit'))).toMatchObject({
      value: { version: 2 },
    });
    const { size } = statSync(path);
    writeFileSync(path, 'export default async () => ({ version: 3, edited: true });\n');
    utimesSync(path, deployed, deployed);
    expect(statSync(path)).toMatchObject({ size, mtimeMs: deployed.getTime() });
    expect(await h.finished(await h.add('org.example.edit'))).toMatchObject({
      value: { version: 3, edited: true },
    });
  });

  it('tags ctx.logger with the job and topic, also on a copy of the context (a spread keeps logger and signal)', async () => {
    h = await harness();
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'org.example.spread.mjs',
      `export default (event, ctx) => {
  const copy = { ...ctx, extra: 1 };
  copy.logger.warn('handler says', { nvr: event.body.nvr });
  return { aborted: copy.signal.aborted, same: copy.logger === ctx.logger };
};
`,
    );
    const proc = await h.startWorkerProcess();
    const job = await h.add('org.example.spread', { nvr: 'bash-5.2-1.fc41' });
    expect(await h.finished(job)).toMatchObject({ value: { aborted: false, same: true } });
    // The job's completion in Redis can be seen before the line the process wrote before it.
    const line = `warn [worker] handler says job=${job.id} topic=org.example.spread nvr=bash-5.2-1.fc41`;
    await waitFor(() => proc.output().includes(line), { what: line });
  });

  it('an unknown automation name is a clear error', async () => {
    h = await harness({ queue: { attempts: 1 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'asks.for.nothing.js',
      "export default (e, ctx) => ctx.automation('nope')(e, ctx);\n",
    );
    await h.startWorkerProcess();
    await expect(h.finished(await h.add('asks.for.nothing'))).rejects.toThrow(
      'handler asks.for.nothing.js failed: no automation named "nope" (known: echo)',
    );
  });

  it('a handler that throws is retried, then parked with the file named', async () => {
    h = await harness({ queue: { attempts: 2 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'throws.mjs',
      "export default () => { throw new Error('database is down'); };\n",
    );
    await h.startWorkerProcess();
    const job = await h.add('throws');
    await expect(h.finished(job)).rejects.toThrow('handler throws.mjs failed: database is down');
    expect((await h.reload(job)).attemptsMade).toBe(2);
    await h.stopWorkers();
    expect(await h.counter('retried', 'throws')).toBe(1);
    expect(await h.counter('failed', 'throws')).toBe(1);
  });

  it('a module without a default export function fails at once', async () => {
    h = await harness({ queue: { attempts: 5 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'no.default.mjs',
      'export const handler = () => 1;\n',
    );
    writeAutomation(h.config.ansible.playbooks_dir, 'bad.syntax.ts', 'export default (: => 1;\n');
    await h.startWorkerProcess();
    const noDefault = await h.add('no.default');
    await expect(h.finished(noDefault)).rejects.toThrow(
      'handler no.default.mjs has no default export function',
    );
    expect((await h.reload(noDefault)).attemptsMade).toBe(1);
    const badSyntax = await h.add('bad.syntax');
    await expect(h.finished(badSyntax)).rejects.toThrow(/handler bad\.syntax\.ts failed to load/);
    expect((await h.reload(badSyntax)).attemptsMade).toBe(1);
  });

  /**
   * Runs `source` as the handler of `topic` with a timeout of `seconds`: the run must fail at
   * the timeout; resolves with what the handler then wrote to its `:seen` key.
   */
  async function pastItsTimeout(topic: string, seconds: number, source: string) {
    h = await harness({ queue: { attempts: 1 }, ansible: { timeout: seconds } });
    writeAutomation(h.config.ansible.playbooks_dir, `${topic}.mjs`, source);
    await h.startWorkerProcess();
    await expect(h.finished(await h.add(topic))).rejects.toThrow(
      `handler ${topic}.mjs stopped: timed out after ${seconds} s`,
    );
    return waitFor(() => h!.redis.get(`${h!.config.redis.prefix}:seen`));
  }
  const SEEN = "ctx.redis.set(ctx.config.redis.prefix + ':seen', ";

  it('aborts ctx.signal at the timeout and fails the run even if the handler ignores it', async () => {
    const seen = await pastItsTimeout(
      'never.ends',
      0.5,
      `export default (e, ctx) => { ctx.signal.addEventListener('abort', () => void ${SEEN}String(ctx.signal.reason.message))); return new Promise(() => {}); };\n`,
    );
    expect(seen).toBe('timed out after 0.5 s');
  });

  it('gives a handler that first looks at ctx.signal after its timeout a signal already aborted', async () => {
    const seen = await pastItsTimeout(
      'looks.late',
      0.2,
      `export default (e, ctx) => new Promise((resolve) => setTimeout(() => { void ${SEEN}ctx.signal.aborted + ' ' + ctx.signal.reason.message); resolve(null); }, 600));\n`,
    );
    expect(seen).toBe('true timed out after 0.2 s');
  });
});

describe('worker running batch handlers', () => {
  // Fails `bad` on its first try only and `gone` for good; each job logs its own line.
  const BATCH_HANDLER = `
  export const batch = { max: 4, wait_ms: 1000 };
  export default async (events, ctx) => {
    const echoed = await ctx.automationBatch('echo')(events, ctx);
    ctx.logger.warn('batch of ' + events.length);
    return Promise.all(events.map(async (event, i) => {
      const { n } = event.body;
      await ctx.log(i, 'line for ' + n);
      if (n === 'bad' && ctx.jobs[i].attempt === 1) return new Error('bad on its first try');
      if (n === 'gone') return Object.assign(new Error('gone for good'), { name: 'PermanentError' });
      return { n, size: events.length, job: ctx.jobs[i], echo: echoed[i].echo };
    }));
  };
  `;

  it('hands a batch handler the events of several jobs at once; each job completes or fails on its own', async () => {
    h = await harness({ workers: { concurrency: 4 }, queue: { attempts: 3 } });
    writeAutomation(h.config.ansible.playbooks_dir, 'org.example.batch.mjs', BATCH_HANDLER);
    const [one, two, bad, gone] = await Promise.all(
      [1, 2, 'bad', 'gone'].map((n) => h!.add('org.example.batch', { n })),
    );
    const proc = await h.startWorkerProcess();

    for (const [job, n] of [
      [one!, 1],
      [two!, 2],
    ] as const)
      expect(await h.finished(job)).toEqual({
        outcome: 'ran',
        file: 'org.example.batch.mjs',
        kind: 'handler',
        value: { n, size: 4, job: { id: job.id, attempt: 1 }, echo: 'org.example.batch' },
      });
    // Its retry came alone, after the first batch.
    expect(await h.finished(bad!)).toMatchObject({
      value: { n: 'bad', size: 1, job: { id: bad!.id, attempt: 2 } },
    });
    await expect(h.finished(gone!)).rejects.toThrow(
      'handler org.example.batch.mjs failed: gone for good',
    );
    expect((await h.reload(gone!)).attemptsMade).toBe(1);
    expect((await h.reload(bad!)).failedReason).toBe(
      'handler org.example.batch.mjs failed: bad on its first try',
    );
    // Each job's log has its own lines only.
    expect(await h.logs(one!)).toMatch(
      /^loopabull: running handler org\.example\.batch\.mjs .*\nline for 1$/,
    );
    expect(await h.logs(bad!)).not.toMatch(/line for [12g]/);
    const batch = 'warn [worker] batch of 4 topic=org.example.batch\n';
    await waitFor(() => proc.output().includes(batch), { what: batch });
  });

  it('tags a batch of topics folded to one file with all its topics, not the first one alone', async () => {
    const prod = 'org.fedoraproject.prod.buildsys.tag';
    const stg = 'org.fedoraproject.stg.buildsys.tag';
    h = await harness({
      workers: { concurrency: 2 },
      topics: { fold_prefixes: ['org.fedoraproject.prod.', 'org.fedoraproject.stg.'] },
    });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'buildsys.tag.mjs',
      `export const batch = { max: 2, wait_ms: 10000 };
      export default (events, ctx) => {
        ctx.logger.warn('folded batch of ' + events.length);
        return events.map((e) => e.topic);
      };\n`,
    );
    const jobs = await Promise.all([prod, stg].map((topic) => h!.add(topic)));
    const proc = await h.startWorkerProcess();
    for (const job of jobs) expect(await h.finished(job)).toMatchObject({ outcome: 'ran' });
    const tagged = new RegExp(
      `warn \\[worker\\] folded batch of 2 topics=(${prod},${stg}|${stg},${prod})\\n`,
    );
    await waitFor(() => tagged.test(proc.output()), { what: String(tagged) });
  });

  it('one event that fails its whole batch every time parks only its own job: the last try runs alone', async () => {
    h = await harness({ workers: { concurrency: 4 }, queue: { attempts: 3 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'org.example.poison.mjs',
      `export const batch = { max: 3, wait_ms: 1000 };
      export default async (events, ctx) => {
        if (events.some((e) => e.body.n === 'poison')) throw new Error('poisoned');
        return events.map((e, i) => ({ n: e.body.n, size: events.length, attempt: ctx.jobs[i].attempt }));
      };\n`,
    );
    const [one, two, poison] = await Promise.all(
      [1, 2, 'poison'].map((n) => h!.add('org.example.poison', { n })),
    );
    await h.startWorkerProcess();
    // The three failed together twice (they come back together), then each ran alone.
    for (const [job, n] of [
      [one!, 1],
      [two!, 2],
    ] as const)
      expect(await h.finished(job)).toMatchObject({ value: { n, size: 1, attempt: 3 } });
    await expect(h.finished(poison!)).rejects.toThrow(
      'handler org.example.poison.mjs failed: poisoned',
    );
    expect((await h.reload(poison!)).attemptsMade).toBe(3);
  });

  it('a batch export that is not { max, wait_ms } fails the job at once, saying what is wrong', async () => {
    h = await harness({ queue: { attempts: 5 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'bad.batch.mjs',
      'export const batch = { max: 0, wait_ms: 10 };\nexport default (events) => events;\n',
    );
    await h.startWorkerProcess();
    const job = await h.add('bad.batch');
    await expect(h.finished(job)).rejects.toThrow(
      /^handler bad\.batch\.mjs exports an invalid batch: max: .*\(expected \{ max: 1\.\.10000, wait_ms: 0\.\.60000 \}\)$/,
    );
    expect((await h.reload(job)).attemptsMade).toBe(1);
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'null.batch.mjs',
      'export const batch = null;\nexport default (events) => events.map(() => 1);\n',
    );
    const nulled = await h.add('null.batch');
    await expect(h.finished(nulled)).rejects.toThrow(
      /^handler null\.batch\.mjs exports an invalid batch: batch: .*null.*\(expected/,
    );
    expect((await h.reload(nulled)).attemptsMade).toBe(1);
  });
});
