import { describe, expect, it } from '@jest/globals';
import { TransientError, createLogger } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { resultsdbPayload } from './report.js';
import { localSink } from './results-sink.js';
import { ResultsRecorder } from './resultsdb/recorder.js';
import { ResultsStore } from './resultsdb/store.js';

const logger = createLogger('test', 'error');
const job = {
  item: 'x-1-1',
  item_type: 'koji_build' as const,
  taskname: 'check',
  arch: 'noarch',
  uuid: 'sink-1',
};
const body = (over: Record<string, unknown> = {}) => ({
  ...resultsdbPayload({ item: 'x-1-1', outcome: 'CRASHED', keyvals: {} }, job, 'http://a/'),
  ...over,
});

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
});
