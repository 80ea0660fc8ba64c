import { sql, type Kysely, type Migration } from 'kysely';
import { ConfigError, sha256Text, type Config } from '@loopabull/core/cli';
import {
  Database,
  NotCreatedYet,
  type DatabaseDialect,
  type DatabaseLogger,
} from '@loopabull/database';
import type { ItemType } from './normalise.js';

/** What made a job: the message's topic and id, and the rules that wanted it. */
export interface JobTrigger {
  topic: string;
  /** The bus message id, when the message had one (replay finds the message by it). */
  msg_id: string | null;
  rules: string[];
}

/** What the runner says when a job ends (part E.4, our convention: OK <=> exit code 0). */
export interface JobEnd {
  execution_status: 'OK' | 'NOT_OK';
  /** Why, in a line: "2 PASSED, 1 FAILED", or the reason the check gave no results. */
  status: string;
}

/** One job of the log: who triggered what, when, and how it ended. */
export interface LoggedJob {
  uuid: string;
  item: string;
  item_type: ItemType;
  taskname: string;
  arch: string;
  trigger: JobTrigger;
  /** ISO 8601, UTC. */
  scheduled_at: string;
  started_at: string | null;
  finished_at: string | null;
  execution_status: JobEnd['execution_status'] | null;
  status: string | null;
  /**
   * When the queue gave the job up (its last try failed, or it failed for good at once): it ended
   * NOT_OK with the reason and without a report, and `replay --unfinished` finds it again.
   */
  parked_at: string | null;
  /**
   * A discovered check's repository and branch (its taskname is a path in it), and the commit
   * the trigger found it at or, for a job published without one, the commit it checked out
   * (absent for jobs logged before it was recorded, and until such a job has run).
   */
  git_repo?: string;
  git_branch?: string;
  git_commit?: string;
}

export type NewJob = Pick<
  LoggedJob,
  'uuid' | 'item' | 'item_type' | 'taskname' | 'arch' | 'git_repo' | 'git_branch' | 'git_commit'
> & {
  trigger: JobTrigger;
};

type JobTables = {
  taskotron_jobs: {
    uuid: string;
    item: string;
    /** sha256 (hex) of `item`: indexed, where `item` (up to 1024 characters) cannot be on MariaDB. */
    item_sha256: string | null;
    item_type: string;
    taskname: string;
    arch: string;
    trigger_topic: string;
    trigger_msg_id: string | null;
    /** JSON array of rule names. */
    trigger_rules: string;
    scheduled_at: string;
    started_at: string | null;
    finished_at: string | null;
    execution_status: string | null;
    status: string | null;
    git_repo: string | null;
    git_branch: string | null;
    parked_at: string | null;
    git_commit: string | null;
  };
};

/** The job log has its own migration owner, so it evolves apart from the ResultsDB tables. */
export const JOB_LOG_OWNER = 'taskotron_jobs';

export function jobLogMigrations(dialect: DatabaseDialect): Record<string, Migration> {
  const text = dialect === 'mysql' ? sql`mediumtext` : 'text';
  return {
    '0001_jobs': {
      up: (db) =>
        db.schema
          .createTable('taskotron_jobs')
          .addColumn('uuid', 'varchar(64)', (c) => c.primaryKey())
          .addColumn('item', 'varchar(1024)', (c) => c.notNull())
          .addColumn('item_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('taskname', 'varchar(255)', (c) => c.notNull())
          .addColumn('arch', 'varchar(32)', (c) => c.notNull())
          .addColumn('trigger_topic', 'varchar(255)', (c) => c.notNull())
          .addColumn('trigger_msg_id', 'varchar(255)')
          .addColumn('trigger_rules', text, (c) => c.notNull())
          .addColumn('scheduled_at', 'varchar(26)', (c) => c.notNull())
          .addColumn('started_at', 'varchar(26)')
          .addColumn('finished_at', 'varchar(26)')
          .addColumn('execution_status', 'varchar(16)')
          .addColumn('status', text)
          .execute(),
    },
    '0002_jobs_scheduled': {
      up: (db) =>
        db.schema
          .createIndex('taskotron_jobs_scheduled')
          .on('taskotron_jobs')
          .column('scheduled_at')
          .execute(),
    },
    '0003_jobs_item_hash': {
      up: async (db) => {
        await db.schema.alterTable('taskotron_jobs').addColumn('item_sha256', 'char(64)').execute();
        const jobs = db.withTables<JobTables>();
        for (;;) {
          const rows = await jobs
            .selectFrom('taskotron_jobs')
            .select(['uuid', 'item'])
            .where('item_sha256', 'is', null)
            .limit(500)
            .execute();
          if (rows.length === 0) break;
          for (const { uuid, item } of rows)
            await jobs
              .updateTable('taskotron_jobs')
              .set({ item_sha256: itemHash(item) })
              .where('uuid', '=', uuid)
              .execute();
        }
        await db.schema
          .createIndex('taskotron_jobs_item')
          .on('taskotron_jobs')
          .columns(['item_sha256', 'scheduled_at'])
          .execute();
      },
    },
    // A discovered check's repository and branch, so that replaying its job runs it again from
    // there. One statement each: MariaDB cannot roll DDL back.
    '0004_jobs_git_repo': {
      up: (db) =>
        db.schema.alterTable('taskotron_jobs').addColumn('git_repo', 'varchar(1024)').execute(),
    },
    '0005_jobs_git_branch': {
      up: (db) =>
        db.schema.alterTable('taskotron_jobs').addColumn('git_branch', 'varchar(255)').execute(),
    },
    // A job the queue parked ended NOT_OK like a failing check, but its check never reported:
    // `replay --unfinished` tells them apart by this.
    '0006_jobs_parked_at': {
      up: (db) =>
        db.schema.alterTable('taskotron_jobs').addColumn('parked_at', 'varchar(26)').execute(),
    },
    // The commit a discovered check was found at, so that replaying its job runs that check.
    '0007_jobs_git_commit': {
      up: (db) =>
        db.schema.alterTable('taskotron_jobs').addColumn('git_commit', 'varchar(64)').execute(),
    },
  };
}

/** The indexed stand-in for an item in the job log. */
const itemHash = (item: string): string => sha256Text(item);

const now = () => new Date().toISOString();

/**
 * The job log (part E.9: Taskotron's operators kept a `jobs.csv` beside the trigger to replay
 * what maintenance lost). The trigger writes a row when it schedules a job, the runner when it
 * starts and ends it; the page for people and `loopabull taskotron replay` read it.
 */
export class JobLog {
  private constructor(private readonly k: Kysely<JobTables>) {}

  /** Brings the table up to date and returns the log. */
  static async open(db: Database): Promise<JobLog> {
    await db.migrate(JOB_LOG_OWNER, jobLogMigrations(db.dialect));
    return JobLog.reading(db);
  }

  /** The log of a database whose table is known to be up to date (describeTables). */
  static reading(db: Database): JobLog {
    return new JobLog(db.kysely.withTables<JobTables>());
  }

  /** Records a scheduled job; a uuid already logged (a retried trigger) is left as it was. */
  async scheduled(job: NewJob, at = now()): Promise<void> {
    const exists = await this.get(job.uuid);
    if (exists) return;
    await this.k
      .insertInto('taskotron_jobs')
      .values({
        uuid: job.uuid,
        item: job.item,
        item_sha256: itemHash(job.item),
        item_type: job.item_type,
        taskname: job.taskname,
        arch: job.arch,
        trigger_topic: job.trigger.topic,
        trigger_msg_id: job.trigger.msg_id,
        trigger_rules: JSON.stringify(job.trigger.rules),
        scheduled_at: at,
        git_repo: job.git_repo ?? null,
        git_branch: job.git_branch ?? null,
        git_commit: job.git_commit ?? null,
      })
      .execute();
  }

  /** Removes a job that was never published (its trigger failed and will be retried). */
  async forget(uuid: string): Promise<void> {
    await this.k.deleteFrom('taskotron_jobs').where('uuid', '=', uuid).execute();
  }

  /** The runner took the job (again, after a crash: the end of the earlier try is cleared). */
  async started(uuid: string, at = now()): Promise<void> {
    await this.k
      .updateTable('taskotron_jobs')
      .set({
        started_at: at,
        finished_at: null,
        execution_status: null,
        status: null,
        parked_at: null,
      })
      .where('uuid', '=', uuid)
      .execute();
  }

  /**
   * The commit a discovered check's job without `git_commit` checked out (what its branch held
   * when it ran), recorded as the trigger records it for the jobs it pins.
   */
  async checkedOut(uuid: string, commit: string): Promise<void> {
    await this.k
      .updateTable('taskotron_jobs')
      .set({ git_commit: commit })
      .where('uuid', '=', uuid)
      .execute();
  }

  async finished(uuid: string, end: JobEnd, at = now()): Promise<void> {
    await this.k
      .updateTable('taskotron_jobs')
      .set({ finished_at: at, execution_status: end.execution_status, status: end.status })
      .where('uuid', '=', uuid)
      .execute();
  }

  /**
   * The queue gave the job up (its try was the last, or its error permanent): it ends NOT_OK with
   * `reason`, marked parked. A later try (`loopabull jobs retry`) starts it afresh.
   */
  async parked(uuid: string, reason: string, at = now()): Promise<void> {
    await this.k
      .updateTable('taskotron_jobs')
      .set({ finished_at: at, execution_status: 'NOT_OK', status: reason, parked_at: at })
      .where('uuid', '=', uuid)
      .execute();
  }

  async get(uuid: string): Promise<LoggedJob | null> {
    const row = await this.k
      .selectFrom('taskotron_jobs')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  /** The newest jobs first; `item` narrows to one item. */
  async recent(limit: number, filter: { item?: string } = {}): Promise<LoggedJob[]> {
    let q = this.k.selectFrom('taskotron_jobs').selectAll();
    if (filter.item !== undefined)
      q = q.where('item_sha256', '=', itemHash(filter.item)).where('item', '=', filter.item);
    const rows = await q.orderBy('scheduled_at', 'desc').orderBy('uuid').limit(limit).execute();
    return rows.map(fromRow);
  }

  /** Jobs scheduled in [from, to) (ISO 8601), oldest first. */
  async between(from: string, to: string): Promise<LoggedJob[]> {
    const rows = await this.k
      .selectFrom('taskotron_jobs')
      .selectAll()
      .where('scheduled_at', '>=', from)
      .where('scheduled_at', '<', to)
      .orderBy('scheduled_at')
      .orderBy('uuid')
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(r: JobTables['taskotron_jobs']): LoggedJob {
  return {
    uuid: r.uuid,
    item: r.item,
    item_type: r.item_type as ItemType,
    taskname: r.taskname,
    arch: r.arch,
    trigger: {
      topic: r.trigger_topic,
      msg_id: r.trigger_msg_id,
      rules: JSON.parse(r.trigger_rules) as string[],
    },
    scheduled_at: r.scheduled_at,
    started_at: r.started_at,
    finished_at: r.finished_at,
    execution_status: r.execution_status as LoggedJob['execution_status'],
    status: r.status,
    parked_at: r.parked_at,
    ...(r.git_repo === null ? {} : { git_repo: r.git_repo }),
    ...(r.git_branch === null ? {} : { git_branch: r.git_branch }),
    ...(r.git_commit === null ? {} : { git_commit: r.git_commit }),
  };
}

/**
 * The automation's database (`database.url`, a relative SQLite path from the config file's
 * folder) with its job log brought up to date; the database is closed again if the log is not.
 * `readOnly` (a dry run) makes and migrates nothing: a database that is not there, or whose log a
 * newer version must first bring up to date, is a ConfigError saying so.
 */
export async function openJobLog(
  config: Config,
  logger: DatabaseLogger,
  { readOnly = false }: { readOnly?: boolean } = {},
): Promise<{ db: Database; jobLog: JobLog }> {
  const db = await Database.open(config.database.url, {
    baseDir: config.dir,
    logger,
    create: !readOnly,
  }).catch((err: unknown) => {
    if (!(err instanceof NotCreatedYet)) throw err;
    throw new ConfigError(
      `the job log's database ${err.path} does not exist (a worker makes it): check database.url`,
    );
  });
  try {
    if (!readOnly) return { db, jobLog: await JobLog.open(db) };
    const pending = await db.pending(JOB_LOG_OWNER, jobLogMigrations(db.dialect));
    if (pending.length > 0)
      throw new ConfigError(
        `the job log in ${db.url} is not up to date (${pending.join(', ')} to run), and a dry run changes nothing: start a worker, or replay without --dry-run`,
      );
    return { db, jobLog: JobLog.reading(db) };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** `openJobLog` for the length of `use`: the database is closed afterwards, whatever happens. */
export async function withJobLog<T>(
  config: Config,
  logger: DatabaseLogger,
  use: (jobLog: JobLog, db: Database) => Promise<T>,
  opts: { readOnly?: boolean } = {},
): Promise<T> {
  const { db, jobLog } = await openJobLog(config, logger, opts);
  try {
    return await use(jobLog, db);
  } finally {
    await db.close();
  }
}
