import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@loopabull/core';
import { sql } from 'kysely';
import { Database, type DatabaseDialect } from '@loopabull/database';
import { allDatabases } from '@test/support';
import { JOB_LOG_OWNER, JobLog, jobLogMigrations, type NewJob } from './job-log.js';

const LONG_ITEM = `${'x'.repeat(1020)}-1-1`;

/** The names of the indexes on the job log's `item_sha256`, from each database's catalogue. */
async function itemHashIndexes(db: Database, dialect: DatabaseDialect): Promise<string[]> {
  const query = {
    sqlite: sql<{
      name: string;
    }>`select name from sqlite_master where type = 'index' and tbl_name = 'taskotron_jobs' and sql like '%item_sha256%'`,
    postgresql: sql<{
      name: string;
    }>`select indexname as name from pg_indexes where tablename = 'taskotron_jobs' and indexdef like '%item_sha256%'`,
    mysql: sql<{
      name: string;
    }>`select index_name as name from information_schema.statistics where table_schema = database() and table_name = 'taskotron_jobs' and column_name = 'item_sha256'`,
  }[dialect];
  return (await query.execute(db.kysely)).rows.map((r) => r.name);
}

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
    // A job logged before the item hash existed: migration 0003 must fill it in.
    const before = Object.fromEntries(
      Object.entries(jobLogMigrations(db.dialect)).filter(([name]) => name < '0003'),
    );
    await db.migrate(JOB_LOG_OWNER, before);
    await sql`insert into taskotron_jobs (uuid, item, item_type, taskname, arch, trigger_topic, trigger_rules, scheduled_at) values ('u0', 'old-1-1.fc30', 'koji_build', 'name-lint', 'noarch', 't', '[]', '2025-01-01T00:00:00.000Z')`.execute(
      db.kysely,
    );
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
      parked_at: null,
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
    expect((await log.recent(10)).map((j) => j.uuid)).toEqual(['u3', 'u2', 'u1', 'u0']);
    expect((await log.recent(10, { item: 'other-1-1.fc40' })).map((j) => j.uuid)).toEqual(['u3']);
    expect(
      (await log.between('2026-01-01T12:00:00.000Z', '2026-01-04T00:00:00.000Z')).map(
        (j) => j.uuid,
      ),
    ).toEqual(['u2', 'u3']);
  });

  it('finds the jobs of an item through an index on its hash, rows logged before the hash included', async () => {
    expect(await itemHashIndexes(db, db.dialect)).toEqual(['taskotron_jobs_item']);
    expect((await log.recent(10, { item: 'old-1-1.fc30' })).map((j) => j.uuid)).toEqual(['u0']);
    await log.scheduled(job('u4', LONG_ITEM), '2026-01-04T00:00:00.000Z');
    await log.scheduled(job('u5', `${LONG_ITEM.slice(0, -1)}2`), '2026-01-04T00:00:01.000Z');
    expect((await log.recent(10, { item: LONG_ITEM })).map((j) => j.uuid)).toEqual(['u4']);
  });

  it('keeps the repository, branch and commit of a discovered check (a SHA-256 commit id too)', async () => {
    const git = {
      taskname: 'tests/smoke',
      git_repo: `https://src.example.org/${'r'.repeat(990)}`,
      git_branch: 'f41',
      git_commit: 'ab'.repeat(32),
    };
    await log.scheduled({ ...job('g1'), ...git });
    expect(await log.get('g1')).toMatchObject(git);
    expect(await log.get('u1')).not.toHaveProperty('git_commit');
  });

  it('marks a job the queue parked, ended NOT_OK with the reason; a new try starts it afresh', async () => {
    await log.scheduled(job('p1'), '2026-01-05T00:00:00.000Z');
    await log.started('p1', '2026-01-05T00:00:01.000Z');
    await log.parked('p1', 'the check could not be fetched: ...', '2026-01-05T00:00:02.000Z');
    expect(await log.get('p1')).toMatchObject({
      finished_at: '2026-01-05T00:00:02.000Z',
      execution_status: 'NOT_OK',
      status: 'the check could not be fetched: ...',
      parked_at: '2026-01-05T00:00:02.000Z',
    });
    await log.started('p1');
    expect(await log.get('p1')).toMatchObject({
      finished_at: null,
      execution_status: null,
      parked_at: null,
    });
  });
});
