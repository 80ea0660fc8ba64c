import type { LoopabullEvent } from './event.js';

export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'completed',
  'unrouted',
] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobSummary {
  id: string;
  topic: string;
  state: string;
  /**
   * The tries made: those that ended, one whose worker died included; not one running, so a job
   * on its first try has 0. Kept as it was for scripts; `attempt` is what operators read.
   */
  attempts: number;
  /**
   * The try the job is on, numbered as its worker numbers it (`attempt N` in its log,
   * `loopabull.attempt`): the one running or waiting to run (1 for a new job), or, for a job that
   * has ended (completed, failed, unrouted), its last.
   */
  attempt: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The automation that ran, if one did. */
  file: string | null;
  /** Why the last attempt failed: exit code and output tail for playbooks. */
  failed_reason: string | null;
  /** The playbook's exit code: of the run that completed, or of the last attempt that failed. */
  exit_code: number | null;
}

/** What the worker notes on a job whose attempt failed, beside BullMQ's reason. */
export interface FailureNote {
  file: string;
  exit_code: number | null;
  /**
   * Times the worker refused to run the job, its tries used up by crashes: BullMQ counts each
   * refusal in `attemptsMade` as a try, though nothing ran.
   */
  refusals?: number;
}

export interface JobDetail extends JobSummary {
  event: LoopabullEvent;
  result: JobResult | null;
}

/** What a job returns when it completes. */
export interface JobResult {
  outcome: 'ran' | 'unrouted';
  /** The automation that ran, relative to the playbooks directory. */
  file?: string;
  kind?: 'playbook' | 'handler';
  exit_code?: number;
  /** A handler's return value. */
  value?: unknown;
}

/**
 * Most waiting jobs one `depth()` reads: it serves open HTTP requests (`/`, `/api/queue`,
 * `/metrics`), so its cost must not grow with the backlog. The next jobs to run are the ones
 * read, which is where a flood of one topic shows.
 */
export const DEPTH_SAMPLE = 1000;

/** Most jobs one `list` returns. */
export const LIST_MAX = 200;
/** Most jobs a topic filter looks through. */
export const TOPIC_SCAN = 2000;

/** The counts `loopabull queue` shows, in the order it shows them: job states and parked messages. */
export const DEPTH_STATES = [...JOB_STATES, 'parked'] as const;

/** `loopabull queue --json`: scripts rely on these keys (docs/operating.md). */
export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  unrouted: number;
  parked: number;
  paused: boolean;
  /** Waiting jobs by topic, among the next `by_topic_counted` to run. */
  by_topic: Record<string, number>;
  /** How many waiting jobs `by_topic` and `oldest_waiting_seconds` looked at: `waiting` or fewer. */
  by_topic_counted: number;
  oldest_waiting_seconds: number;
}
