import type { RunState } from './observation.js';

export interface ExceptionRecord {
  at: string;
  reason: string | null;
  task_id: string | null;
  run_id: number | null;
  worker_type: string | null;
  /** False when the reason says the worker is gone (claim-expired, worker-shutdown). */
  alive: boolean;
}

export interface UnattributedRecord {
  at: string;
  received_at: string;
  state: RunState;
  reason: string | null;
  task_id: string | null;
  run_id: number | null;
  worker_type: string | null;
  event_id: string;
}

export interface MachineRecord {
  id: string;
  datacenter: string;
  machine: string;
  /** Null when only messages that are no sign of life were seen. */
  lastseen: string | null;
  /** Seconds since lastseen at the time of the read. */
  age_seconds: number | null;
  last_state: RunState | null;
  last_event_at: string | null;
  last_task_id: string | null;
  last_run_id: number | null;
  last_worker_type: string | null;
  last_exception_reason: string | null;
  last_exception_at: string | null;
  counts: Record<RunState, number>;
}

export interface MachineDetail extends MachineRecord {
  exceptions: ExceptionRecord[];
}
