/**
 * A worker whose connections to Redis stay open while nothing comes back on them (a NAT or
 * firewall that forgot them, a Redis that froze behind a proxy and was replaced), where a new
 * connection would work: it takes them for dead within SILENT_SOCKET_MS, says so, connects
 * again and runs the job that came meanwhile, where it held it, unlogged, for minutes.
 */
import { afterAll, expect, it } from '@jest/globals';
import { openQueueServices, SILENT_SOCKET_MS } from '@loopabull/core';
import {
  completedJob,
  removeTempDirs,
  startPart,
  startRedis,
  startTcpProxy,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  writeAutomation,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

it('connects again when its Redis connections go silent, and runs the job that came meanwhile', async () => {
  const redis = await startRedis();
  undo(() => redis.stop());
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
  undo(() => proxy.close());
  const viaProxy = testConfig({
    overrides: { redis: { url: `redis://127.0.0.1:${proxy.port}` } },
  });
  const direct = { ...viaProxy, redis: { ...viaProxy.redis, url: redis.url } };
  writeAutomation(
    viaProxy.ansible.playbooks_dir,
    'org.example.silent.mjs',
    'export default (event) => event.id;\n',
  );
  const worker = await startPart('worker', viaProxy, undo, ['--id', 'w1']);
  const services = await openQueueServices(direct);
  undo(() => services.close());
  const done = async (id: string, timeout: number) =>
    waitFor(() => completedJob(services.work.queue, id), { timeout, what: `job ${id} to run` });

  const before = await services.work.enqueue(testEvent('org.example.silent', { id: 'before' }));
  expect((await done(before, 30_000)).returnvalue).toMatchObject({ value: 'before' });

  const connections = proxy.accepted();
  proxy.freezeOpen();
  const during = await services.work.enqueue(testEvent('org.example.silent', { id: 'during' }));
  expect((await done(during, SILENT_SOCKET_MS + 30_000)).returnvalue).toMatchObject({
    value: 'during',
  });
  expect(proxy.accepted()).toBeGreaterThan(connections);
  expect(worker.output()).toMatch(/Socket timeout/);
}, 120_000);
