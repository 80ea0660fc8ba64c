import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { TransientError, createLogger } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { resultsdbPayload, testcaseRefUrl } from './report.js';
import { localSink, remoteSink } from './results-sink.js';
import { ResultsRecorder } from './resultsdb/recorder.js';
import { resultsdbRoutes } from './resultsdb/routes.js';
import { ResultsStore } from './resultsdb/store.js';

const logger = createLogger('test', 'error');
const job = {
  item: 'x-1-1',
  item_type: 'koji_build' as const,
  taskname: 'check',
  arch: 'noarch',
  uuid: 'sink-1',
};
const body = (over: Record<string, unknown> = {}, checkname?: string) => ({
  ...resultsdbPayload(
    { item: 'x-1-1', outcome: 'CRASHED', keyvals: {}, ...(checkname ? { checkname } : {}) },
    job,
    'http://a/',
  ),
  ...over,
});
/** A result a remote ResultsDB takes: one of its four outcomes. */
const passed = (checkname: string) => body({ outcome: 'PASSED' }, checkname);
const WIKI = 'https://fedoraproject.org/wiki/Taskotron/Tasks';

describe('localSink', () => {
  it("takes checkb's outcomes, refuses what ResultsDB refuses, and throws a TransientError when the store is gone", async () => {
    const db = await Database.open('sqlite://', { baseDir: '/', logger });
    // The events are not this test's business (run-job.int.test.ts reads them off RabbitMQ).
    const recorder = new ResultsRecorder(
      await ResultsStore.open(db),
      () => Promise.resolve(),
      'http://a/api/v2.0',
      logger,
    );
    const sink = localSink(recorder);
    try {
      expect(await sink.submit(body())).toEqual({ ok: true, id: 1 });
      expect(await sink.submit(body({ data: { 'a:b': 'c' } }))).toEqual({
        ok: false,
        message: "Colon not allowed in key name: ['a:b']",
      });
    } finally {
      await db.close();
    }
    const down = sink.submit(body());
    await expect(down).rejects.toThrow(TransientError);
    await expect(down).rejects.toThrow(/^the results store did not take the result: /);
  });

  it('creates a missing testcase with its Taskotron wiki ref_url, and leaves one that exists as it is', async () => {
    const db = await Database.open('sqlite://', { baseDir: '/', logger });
    try {
      const store = await ResultsStore.open(db);
      const recorder = new ResultsRecorder(store, () => Promise.resolve(), 'http://a', logger);
      await store.saveTestcase({ name: 'dist.own', ref_url: 'http://own' });
      const sink = localSink(recorder);
      await sink.submit(body({}, 'dist.new'));
      await sink.submit(body({}, 'dist.own'));
      expect(await store.testcase('dist.new')).toEqual({
        name: 'dist.new',
        ref_url: `${WIKI}/dist.new`,
      });
      expect(await store.testcase('dist.own')).toEqual({ name: 'dist.own', ref_url: 'http://own' });
    } finally {
      await db.close();
    }
  });
});

describe('remoteSink', () => {
  let db: Database;
  let store: ResultsStore;
  let app: FastifyInstance;
  let url = '';
  /** The requests the remote ResultsDB got: method, path, and whether the token came with it. */
  const seen: string[] = [];
  /** An answer the next request gets instead of the API's, when set. */
  let override: { status: number; message: string } | null = null;

  beforeAll(async () => {
    db = await Database.open('sqlite://', { baseDir: '/', logger });
    store = await ResultsStore.open(db);
    app = Fastify();
    app.addHook('onRequest', async (req, reply) => {
      const token = req.headers.authorization === 'Bearer t0k' ? ' +token' : '';
      seen.push(`${req.method} ${req.url}${token}`);
      if (override) {
        const { status, message } = override;
        override = null;
        return reply.code(status).send({ message });
      }
    });
    await resultsdbRoutes(store).register(app, {} as never);
    url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/api/v2.0/`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it("creates a testcase it does not find with the wiki ref_url, asks once per testcase, and keeps another's", async () => {
    await store.saveTestcase({ name: 'dist.theirs', ref_url: 'http://theirs' });
    const sink = remoteSink(url, 't0k');
    seen.length = 0;
    expect(await sink.submit(passed('scratch.mine'))).toEqual({ ok: true, id: 1 });
    expect(await sink.submit(passed('scratch.mine'))).toEqual({ ok: true, id: 2 });
    expect(await sink.submit(passed('dist.theirs'))).toEqual({ ok: true, id: 3 });
    // A name with `/` (a tmt plan) is asked for as ResultsDB's path converter reads it.
    const plan = 'fedora-ci.koji-build./plans/basic';
    expect(await sink.submit(passed(plan))).toEqual({ ok: true, id: 4 });
    expect(seen).toEqual([
      'GET /api/v2.0/testcases/scratch.mine +token',
      'POST /api/v2.0/testcases +token',
      'POST /api/v2.0/results +token',
      'POST /api/v2.0/results +token',
      'GET /api/v2.0/testcases/dist.theirs +token',
      'POST /api/v2.0/results +token',
      `GET /api/v2.0/testcases/${plan} +token`,
      'POST /api/v2.0/testcases +token',
      'POST /api/v2.0/results +token',
    ]);
    expect(await store.testcase('scratch.mine')).toEqual({
      name: 'scratch.mine',
      ref_url: testcaseRefUrl('scratch.mine'),
    });
    expect(testcaseRefUrl('scratch.mine')).toBe(`${WIKI}/scratch.mine`);
    expect(await store.testcase(plan)).toEqual({ name: plan, ref_url: `${WIKI}/${plan}` });
    expect((await store.testcase('dist.theirs'))?.ref_url).toBe('http://theirs');
  });

  it('refuses the result of a testcase ResultsDB will not create, saying so, and asks again next time', async () => {
    const sink = remoteSink(url, null);
    const long = `scratch.${'x'.repeat(300)}`;
    const refused = await sink.submit(passed(long));
    expect(refused).toEqual({
      ok: false,
      message: expect.stringMatching(/^testcase scratch\.x+ not created: name: Too big/),
    });
    seen.length = 0;
    await sink.submit(passed(long));
    expect(seen.map((s) => s.slice(0, 30))).toEqual([
      `GET /api/v2.0/testcases/scratc`,
      'POST /api/v2.0/testcases',
    ]);
  });

  it('throws a TransientError when looking for or creating the testcase fails for a later try, and retries it then', async () => {
    const sink = remoteSink(url, null);
    override = { status: 503, message: 'down for maintenance' };
    await expect(sink.submit(passed('scratch.later'))).rejects.toThrow(
      new TransientError(
        `ResultsDB at ${url}testcases/scratch.later answered 503: down for maintenance`,
      ),
    );
    seen.length = 0;
    expect(await sink.submit(passed('scratch.later'))).toMatchObject({ ok: true });
    expect(seen).toEqual([
      'GET /api/v2.0/testcases/scratch.later',
      'POST /api/v2.0/testcases',
      'POST /api/v2.0/results',
    ]);
    // A wrong URL: the testcase is not found, and not created either.
    const wrong = remoteSink(url.replace('/api/v2.0/', '/api/v9/'), 'bad');
    await expect(wrong.submit(passed('scratch.wrong'))).rejects.toThrow(
      /^ResultsDB at http:\/\/127\.0\.0\.1:\d+\/api\/v9\/testcases answered 404: /,
    );
    override = { status: 401, message: 'no' };
    await expect(sink.submit(passed('scratch.token'))).rejects.toThrow(
      /testcases\/scratch\.token answered 401 \(check taskotron\.resultsdb_token\): no$/,
    );
  });
});
