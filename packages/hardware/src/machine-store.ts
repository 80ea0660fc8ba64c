import type { Observation } from './observation.js';
import { preload, type PreloadResult } from './preload.js';
import { MachineReader } from './reading.js';
import {
  recordObservation,
  recordObservations,
  recordUnattributed,
  type RecordResult,
  type WorkerObservation,
} from './recording.js';

/** The hardware tracker's data in Redis: reads, and writes that are each one atomic script. */
export class MachineStore extends MachineReader {
  /** Records an observation of a worker. Throws only on Redis errors, so the job is retried. */
  record(obs: WorkerObservation): Promise<RecordResult> {
    return recordObservation(this.redis, obs);
  }

  /** Records observations of workers in order, in one script call. */
  recordMany(observations: readonly WorkerObservation[]): Promise<RecordResult[]> {
    return recordObservations(this.redis, observations);
  }

  /** Records a message that names no worker. Returns false for a redelivery. */
  recordUnattributed(obs: Observation): Promise<boolean> {
    return recordUnattributed(this.redis, obs);
  }

  /** Loads entries in the `/machines` format; a stored time as new or newer is kept. */
  preload(entries: readonly unknown[]): Promise<PreloadResult> {
    return preload(this.redis, entries);
  }
}
