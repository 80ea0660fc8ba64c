// `node bench/playbook-cpu.mjs [RUNS]` (after `npm run build`): the worker's own CPU per playbook
// job, apart from ansible-playbook's. A LoopabullWorker in this process runs a trivial local
// playbook one job at a time (RUNS, 20 by default, after 3 to warm up) on a private
// redis-server; each job's CPU is this process's (process.cpuUsage: every thread, no child) from
// its enqueue to BullMQ's completed event. Then the same for `runPlaybook` alone (the vars file,
// ansible-playbook, its output in lines), without Redis. Prints the median and quartiles in ms.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createRedis, loadConfig, WorkQueue } from '@loopabull/core';
import { LineSink, runPlaybook, withVarsFile } from '@loopabull/playbook';
import { LoopabullWorker } from '@loopabull/worker';
import { benchEvent, completions, percentile, privateRedis } from './lib.mjs';

const RUNS = Number(process.argv[2] ?? 20);
const WARMUP = 3;
const PLAYBOOK =
  '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug: { msg: hi }\n';

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-cpu-'));
const redisServer = await privateRedis();
try {
  writeFileSync(join(dir, 'bench.cpu.yml'), PLAYBOOK);
  const configPath = join(dir, 'loopabull.yml');
  writeFileSync(
    configPath,
    `redis: { url: ${redisServer.url}, prefix: bench-cpu }\nqueue: { name: bench-cpu }\nansible: { playbooks_dir: ${dir} }\n`,
  );
  const config = loadConfig({ path: configPath, env: {} });

  /** CPU ms of each of RUNS calls of `once`, after the warm-up ones; its median and quartiles. */
  const measure = async (name, once) => {
    const ms = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const from = process.cpuUsage();
      await once(i);
      const { user, system } = process.cpuUsage(from);
      if (i >= WARMUP) ms.push((user + system) / 1000);
    }
    ms.sort((a, b) => a - b);
    const q = (p) => percentile(ms, p).toFixed(2);
    console.log(
      `${name}: median ${q(50)} ms of CPU a run (quartiles ${q(25)}–${q(75)}, ${RUNS} runs)`,
    );
  };

  const worker = new LoopabullWorker({
    config,
    id: 'bench-cpu',
    concurrency: 1,
    logger: createLogger('bench', 'warn'),
  });
  await worker.start();
  const events = await completions(redisServer.url, config.redis.prefix, config.queue.name);
  const redis = createRedis(redisServer.url);
  const work = new WorkQueue(config, redis);
  await measure('worker, a playbook job', async (i) => {
    const done = events.more(1);
    await work.enqueue(benchEvent(`cpu-${i}`, 'bench.cpu', { i }));
    await done;
  });
  await worker.stop();
  await events.close();
  await work.close();
  redis.disconnect();

  await measure('runPlaybook alone', () => {
    const sink = new LineSink(
      async () => undefined,
      (err) => console.error(err),
    );
    return withVarsFile('msg: {}\n', (varsFile) =>
      runPlaybook({
        config,
        file: join(dir, 'bench.cpu.yml'),
        relative: 'bench.cpu.yml',
        varsFile,
        env: {},
        onLine: (line) => sink.push(line),
      }),
    ).then(() => sink.flush());
  });
} finally {
  redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
