import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { allDatabases } from '@test/support';
import { JobLog, type NewJob } from './job-log.js';

const job = (uuid: string, item = 'cups-2.2.0-9.fc25'): NewJob => ({
  uuid,
  item,
  item_type: 'koji_build',
  taskname: 'name-lint',
  arch: 'noarch',
  trigger: {
    topic: 'org.fedoraproject.prod.buildsys.build.state.change',
    msg_id: `msg-${uuid}`,
    rules: ['lint-every-build'],
  },
});

describe.each(allDatabases())('the job log on $name', (target) => {
  let db: Database;
  let log: JobLog;

  beforeAll(async () => {
    db = await Database.open(await target.create(), {
      baseDir: tmpdir(),
      logger: createLogger('database', 'error'),
    });
    log = await JobLog.open(db);
  });
  afterAll(async () => {
    await db?.close();
    await target.remove();
  });

  it('keeps who triggered a job, and its start and end', async () => {
    await log.scheduled(job('u1'), '2026-01-01T00:00:00.000Z');
    await log.started('u1', '2026-01-01T00:00:01.000Z');
    await log.finished(
      'u1',
      { execution_status: 'NOT_OK', status: 'no results' },
      '2026-01-01T00:00:02.000Z',
    );
    expect(await log.get('u1')).toEqual({
      ...job('u1'),
      scheduled_at: '2026-01-01T00:00:00.000Z',
      started_at: '2026-01-01T00:00:01.000Z',
      finished_at: '2026-01-01T00:00:02.000Z',
      execution_status: 'NOT_OK',
      status: 'no results',
    });
  });

  it('logs a uuid once, and a new start clears the end of the try before', async () => {
    await log.scheduled(job('u2'), '2026-01-02T00:00:00.000Z');
    await log.finished('u2', { execution_status: 'OK', status: '1 PASSED' });
    await log.scheduled({ ...job('u2'), taskname: 'other' }, '2026-01-02T01:00:00.000Z');
    await log.started('u2');
    expect(await log.get('u2')).toMatchObject({
      taskname: 'name-lint',
      scheduled_at: '2026-01-02T00:00:00.000Z',
      finished_at: null,
      execution_status: null,
    });
  });

  it('lists recent jobs newest first, by item, and a time range oldest first', async () => {
    await log.scheduled(job('u3', 'other-1-1.fc40'), '2026-01-03T00:00:00.000Z');
    expect((await log.recent(10)).map((j) => j.uuid)).toEqual(['u3', 'u2', 'u1']);
    expect((await log.recent(10, { item: 'other-1-1.fc40' })).map((j) => j.uuid)).toEqual(['u3']);
    expect(
      (await log.between('2026-01-01T12:00:00.000Z', '2026-01-04T00:00:00.000Z')).map(
        (j) => j.uuid,
      ),
    ).toEqual(['u2', 'u3']);
  });
});
