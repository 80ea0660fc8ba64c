import { counted, formatDuration } from '@loopabull/core/cli';
import type { MachineRecord } from './records.js';

/** A machine never seen alive is stale whatever the threshold: it may never have worked. */
export const isStale = (m: MachineRecord, staleAfterSeconds: number) =>
  m.age_seconds === null || m.age_seconds >= staleAfterSeconds;

export const withStale = <M extends MachineRecord>(m: M, staleAfterSeconds: number) => ({
  ...m,
  stale: isStale(m, staleAfterSeconds),
});

/** `GET /api/hardware/machines` and `loopabull machines list --json` answer the same object. */
export const machinesJson = (machines: MachineRecord[], staleAfterSeconds: number) => ({
  generated_at: new Date().toISOString(),
  stale_after_seconds: staleAfterSeconds,
  count: machines.length,
  machines: machines.map((m) => withStale(m, staleAfterSeconds)),
});

/** How long since a machine was seen alive, for people: `3d 4h ago`, `never alive`. */
export const sinceSeen = (m: MachineRecord) =>
  m.age_seconds === null ? 'never alive' : `${formatDuration(m.age_seconds)} ago`;

export const countStale = (machines: MachineRecord[], staleAfterSeconds: number) =>
  machines.filter((m) => isStale(m, staleAfterSeconds)).length;

/** The page's and `machines list`'s summary line. */
export const staleSummary = (machines: MachineRecord[], staleAfterSeconds: number) =>
  `${counted(machines.length, 'machine')}, ${countStale(machines, staleAfterSeconds)} not seen alive for ${formatDuration(staleAfterSeconds)} or more`;
