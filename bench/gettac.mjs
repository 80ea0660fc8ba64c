#!/usr/bin/env node
// `GET /gettac/<slave>` under load: 10,000 slaves and 100 masters imported with
// `loopabull slavealloc dbimport`, `loopabull serve` on SQLite, autocannon as the load tool.
// Afterwards the allocation must still be balanced: in each pool, the masters' slave counts
// differ by one at most. Adds `gettac` to bench/results.json and prints a line.
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const SLAVES = Number(process.env.BENCH_SLAVES ?? 10_000);
const MASTERS = Number(process.env.BENCH_MASTERS ?? 100);
const POOLS = 10;
const DURATION = Number(process.env.BENCH_SECONDS ?? (process.argv.includes('--quick') ? 5 : 15));
const CLI = new URL('../packages/cli/bin/loopabull.js', import.meta.url).pathname;
const run = promisify(execFile);

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-gettac-'));
const port = await freePort();
const token = 'bench';
const configPath = join(dir, 'loopabull.yml');
writeFileSync(
  configPath,
  [
    'loglevel: warn',
    `database: { url: "sqlite:///${join(dir, 'sa.db')}" }`,
    `http: { port: ${port}, token: ${token} }`,
    'slavealloc: { enabled: true, events: false }',
    'hardware: { enabled: false }',
    'taskotron: { enabled: false }',
    '',
  ].join('\n'),
);
const csv = (header, rows) => [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';
const pool = (i) => `pool${i % POOLS}`;
writeFileSync(
  join(dir, 'slaves.csv'),
  csv(
    'name,basedir,distro,bitlength,purpose,datacenter,trustlevel,speed,environment,pool',
    Array.from({ length: SLAVES }, (_, i) => [
      `slave${i}`,
      '/builds/slave',
      'centos6',
      '64',
      'build',
      'scl3',
      'core',
      'fast',
      'prod',
      pool(i),
    ]),
  ),
);
writeFileSync(
  join(dir, 'masters.csv'),
  csv(
    'nickname,fqdn,http_port,pb_port,datacenter,pool',
    Array.from({ length: MASTERS }, (_, i) => [
      `master${i}`,
      `bm${i}.example.com`,
      8000 + i,
      9000 + i,
      'scl3',
      pool(i),
    ]),
  ),
);
writeFileSync(
  join(dir, 'passwords.csv'),
  csv(
    'pool,distro,password',
    Array.from({ length: POOLS }, (_, i) => [`pool${i}`, '*', 'pw']),
  ),
);

const cli = (args) => run(process.execPath, [CLI, ...args, '-c', configPath], { cwd: dir });
let server;
try {
  await cli([
    'slavealloc',
    'dbimport',
    '--slave-data',
    join(dir, 'slaves.csv'),
    '--master-data',
    join(dir, 'masters.csv'),
    '--password-data',
    join(dir, 'passwords.csv'),
    '--enable',
  ]);
  server = spawn(process.execPath, [CLI, 'serve', '-c', configPath], { cwd: dir, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/healthz`).catch(() => null))?.ok) break;
    if (i > 200) throw new Error('loopabull serve did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  let n = 0;
  const result = await autocannon({
    url: base,
    connections: 10,
    duration: DURATION,
    requests: [
      { method: 'GET', setupRequest: (req) => ({ ...req, path: `/gettac/slave${n++ % SLAVES}` }) },
    ],
  });
  const slaves = await (await fetch(`${base}/api/slaves`)).json();
  const perMaster = new Map();
  for (const s of slaves)
    if (s.current_master)
      perMaster.set(s.current_master, (perMaster.get(s.current_master) ?? 0) + 1);
  const byPool = new Map();
  for (let i = 0; i < MASTERS; i++) {
    const counts = byPool.get(pool(i)) ?? [];
    counts.push(perMaster.get(`master${i}`) ?? 0);
    byPool.set(pool(i), counts);
  }
  const allocated = [...perMaster.values()].reduce((a, b) => a + b, 0);
  // Every slave asked for at least once has a master; none other has.
  const expected = Math.min(n, SLAVES);
  const balanced =
    allocated === expected &&
    [...byPool.values()].every((c) => Math.max(...c) - Math.min(...c) <= 1);
  const gettac = {
    slaves: SLAVES,
    masters: MASTERS,
    seconds: DURATION,
    requests_per_second: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99 },
    non_2xx: result.non2xx,
    allocated,
    balanced,
  };
  const file = new URL('./results.json', import.meta.url);
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, JSON.stringify({ ...all, gettac }, null, 2) + '\n');
  console.log(
    `GET /gettac (${SLAVES} slaves, ${MASTERS} masters, SQLite, autocannon 10 connections): ` +
      `${gettac.requests_per_second} req/s, p50 ${gettac.latency_ms.p50} ms, p99 ${gettac.latency_ms.p99} ms, ` +
      `${gettac.non_2xx} non-2xx, ${allocated} slaves allocated, masters ${balanced ? 'balanced' : 'NOT balanced'}`,
  );
  if (!balanced || gettac.non_2xx > 0) process.exitCode = 1;
} finally {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
