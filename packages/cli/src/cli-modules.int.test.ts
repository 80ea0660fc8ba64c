/**
 * A command's definition loads without the engine: `--help`, `<command> --help` and the
 * automations' commands load commander and the configuration's parser, and each command loads
 * what it runs when it runs (docs/benchmarks.md, "CLI start-up"). Checked in a `loopabull`
 * process of its own, with a module hook that writes down every module it resolves.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from '@jest/globals';
import { isolatedEnv, removeTempDirs, tempDir } from '@test/support';

afterAll(removeTempDirs);

const BIN = fileURLToPath(new URL('../bin/loopabull.js', import.meta.url));

/** Resolves as Node would, and writes each module's address to the file it is given. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(file, resolved.url + '\\n');
  return resolved;
}
`;

const REGISTER = (hooks: string, file: string) => `
import { register } from 'node:module';
register(${JSON.stringify(hooks)}, { data: { file: ${JSON.stringify(file)} } });
`;

/** The engine's packages and the automations' parts: what a command's definition must not load. */
const ENGINE = ['bullmq', 'ioredis', 'amqplib', 'winston', 'kysely', 'fastify', 'execa'];

/** The packages of ENGINE that `loopabull <args>` loads; the built-in config (every automation enabled). */
async function enginePackagesLoaded(args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir('cli-modules');
  const hooks = join(dir, 'hooks.mjs');
  const register = join(dir, 'register.mjs');
  const file = join(dir, 'resolved.txt');
  writeFileSync(hooks, HOOKS);
  writeFileSync(register, REGISTER(pathToFileURL(hooks).href, file));
  writeFileSync(file, '');
  await new Promise<void>((done) =>
    // The exit code is the command's: only the modules it loaded are looked at.
    execFile(
      process.execPath,
      ['--import', pathToFileURL(register).href, BIN, ...args],
      { cwd: dir, env: isolatedEnv({ NODE_OPTIONS: '', ...env }) },
      () => done(),
    ),
  );
  const resolved = readFileSync(file, 'utf8');
  expect(resolved).toContain('commander');
  return ENGINE.filter((name) => resolved.includes(`/node_modules/${name}/`));
}

it.each([
  [['--help']],
  [['queue', '--help']],
  [['jobs', 'list', '--help']],
  [['machines', '--help']],
  [['slavealloc', '--help']],
  [['taskotron', 'runtask', '--help']],
  [['taskotron', 'prune-git-cache', '--help']],
  [['nope']],
  [['resolve', 'org.example.topic']],
  [['resolve', 'org.example.topic', '--json']],
  [['run', 'loopabull.demo.build.state.change', '--dry-run', '--body', '{}']],
  [['run', 'loopabull.demo.build.state.change', '--dry-run', '--body', '{}', '--json']],
])('loopabull %j loads no engine package', async (args) => {
  expect(await enginePackagesLoaded(args)).toEqual([]);
});

it('queue loads BullMQ and ioredis alone: no bus, logger, database or HTTP framework', async () => {
  // Nothing listens there: the command fails once it has loaded what it runs.
  const loaded = await enginePackagesLoaded(['queue', '--json'], {
    REDIS_URL: 'redis://127.0.0.1:1',
  });
  expect(loaded).toEqual(['bullmq', 'ioredis']);
});

it('publish loads amqplib alone: no queue, logger, database or HTTP framework', async () => {
  const loaded = await enginePackagesLoaded(['publish', 'org.example.topic', '--body', '{}'], {
    AMQP_URL: 'amqp://127.0.0.1:1',
  });
  expect(loaded).toEqual(['amqplib']);
});
