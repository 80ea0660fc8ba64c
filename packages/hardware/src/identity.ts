/**
 * Who a Taskcluster queue message is about. The message body is authoritative; the routing key
 * repeats the same ids and is the fallback when the body lacks them or is not an object.
 */

import { isObject, type JsonObject } from '@loopabull/core/cli';
import { kindOf, notAnId, shown, type ProblemSink } from './problems.js';

/**
 * Taskcluster ids are `[A-Za-z0-9_-]`; dots are allowed for hostnames preloaded from elsewhere.
 * No `:`, because the datacenter is split from the machine id at the first colon.
 */
const ID_WORD = /^[A-Za-z0-9_.-]{1,128}$/;

/** The id, or null when absent: `_` is how the queue writes a missing routing-key word. */
export function idWord(value: unknown): string | null {
  return typeof value === 'string' && value !== '_' && ID_WORD.test(value) ? value : null;
}

function runIdOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 1000)
    return value;
  if (typeof value === 'string' && /^\d{1,4}$/.test(value)) return runIdOf(Number(value));
  return null;
}

export interface TaskIds {
  taskId: string | null;
  runId: number | null;
  workerGroup: string | null;
  workerId: string | null;
  provisionerId: string | null;
  workerType: string | null;
}

const NO_IDS: TaskIds = {
  taskId: null,
  runId: null,
  workerGroup: null,
  workerId: null,
  provisionerId: null,
  workerType: null,
};

/**
 * `primary.<taskId>.<runId>.<workerGroup>.<workerId>.<provisionerId>.<workerType>.<schedulerId>.<taskGroupId>.<reserved>`
 * (taskcluster-queue `buildCommonRoutingKey`).
 */
export function routingKeyIds(routingKey: string): TaskIds {
  const words = routingKey.split('.');
  if (words[0] !== 'primary' || words.length < 7) return NO_IDS;
  return {
    taskId: idWord(words[1]),
    runId: runIdOf(words[2]),
    workerGroup: idWord(words[3]),
    workerId: idWord(words[4]),
    provisionerId: idWord(words[5]),
    workerType: idWord(words[6]),
  };
}

/** The run a message is about: `runs` is indexed by runId, but the entry's own runId decides. */
export function runOf(body: unknown, runId: number | null): JsonObject | null {
  const status = isObject(body) && isObject(body.status) ? body.status : null;
  const runs = status && Array.isArray(status.runs) ? status.runs.filter(isObject) : [];
  if (runId === null) return null;
  return runs.find((r) => r.runId === runId) ?? null;
}

/** One place a message may name its worker, and how to name its fields in a note. */
interface WorkerSource {
  where: string;
  path: (field: 'workerGroup' | 'workerId') => string;
  workerGroup: unknown;
  workerId: unknown;
  /** Whether naming neither is worth a note when a later source names the machine. */
  expected?: boolean;
}

const missing = (value: unknown): boolean => value === undefined || value === null;

/** Not there at all: `_` is how the queue writes a missing routing-key word. */
const absent = (value: unknown): boolean => missing(value) || value === '_';

/**
 * The first source naming both a valid workerGroup and workerId. Taken as a pair, never one half
 * from each: a body with a bad workerId and a good workerGroup would otherwise be recorded as the
 * body's datacenter with the routing key's host, a machine nobody named. A source passed over
 * while it named something says why in `problems`, then where the machine came from instead.
 */
function workerOf(
  sources: WorkerSource[],
  problems: ProblemSink,
): Pick<TaskIds, 'workerGroup' | 'workerId'> {
  const passedOver: string[] = [];
  // Whether a source named something unusable: a message naming nobody at all (an exception
  // before any run) is normal and gets no note.
  let unusable = false;
  for (const source of sources) {
    const workerGroup = idWord(source.workerGroup);
    const workerId = idWord(source.workerId);
    if (workerGroup && workerId) {
      if (passedOver.length) problems.push(...passedOver, `machine taken from ${source.where}`);
      return { workerGroup, workerId };
    }
    if (absent(source.workerGroup) && absent(source.workerId)) {
      if (source.expected)
        passedOver.push(`${source.path('workerGroup')} and workerId are missing`);
      continue;
    }
    unusable = true;
    for (const field of ['workerGroup', 'workerId'] as const) {
      const value = source[field];
      if (absent(value)) passedOver.push(`${source.path(field)} is missing`);
      else if (!idWord(value)) passedOver.push(notAnId(source.path(field), value));
    }
  }
  if (unusable)
    problems.push(...passedOver, 'no machine named: kept as a message without a worker');
  return { workerGroup: null, workerId: null };
}

/** Notes on the parts of a body that are there but not in a task message's shape. */
function shapeProblems(body: unknown, problems: ProblemSink): void {
  if (!isObject(body)) {
    problems.push(`body is ${kindOf(body)}, not a task message object`);
    return;
  }
  if (!missing(body.status) && !isObject(body.status))
    problems.push(`status is ${kindOf(body.status)}, not an object`);
  else if (isObject(body.status) && !missing(body.status.runs) && !Array.isArray(body.status.runs))
    problems.push(`status.runs is ${kindOf(body.status.runs)}, not an array`);
  if (!missing(body.runId) && runIdOf(body.runId) === null)
    problems.push(`runId ${shown(body.runId)} is not a run id (0 to 1000)`);
}

/** `status.runs[<index>]`, the path of a run found in the body, for notes. */
export function runPath(body: unknown, run: JsonObject): string {
  const runs = isObject(body) && isObject(body.status) ? body.status.runs : null;
  return `status.runs[${Array.isArray(runs) ? runs.indexOf(run) : '?'}]`;
}

const pairOf = (o: JsonObject) => ({ workerGroup: o.workerGroup, workerId: o.workerId });

/**
 * The ids of a task message: body first (top level, then its run), routing key as fallback.
 * Fields that are there but unusable are described in `problems`, when the caller wants them.
 */
export function taskIds(body: unknown, routingKey: string, problems: ProblemSink = []): TaskIds {
  shapeProblems(body, problems);
  const b = isObject(body) ? body : {};
  const status = isObject(b.status) ? b.status : {};
  const rk = routingKeyIds(routingKey);
  const words = routingKey.split('.');
  const runId = runIdOf(b.runId) ?? rk.runId;
  const run = runOf(b, runId);
  const worker = workerOf(
    [
      // A task message names its worker at the top; without one at all, the fallbacks are normal.
      {
        where: 'the body',
        path: (f) => f,
        ...pairOf(b),
        expected: isObject(body),
      },
      {
        where: 'its run',
        path: (f) => `${run ? runPath(b, run) : 'run'}.${f}`,
        ...pairOf(run ?? {}),
      },
      {
        where: 'the routing key',
        path: (f) => `routing key ${f}`,
        ...(words[0] === 'primary' && words.length >= 7
          ? { workerGroup: words[3], workerId: words[4] }
          : { workerGroup: undefined, workerId: undefined }),
      },
    ],
    problems,
  );
  return {
    taskId: idWord(status.taskId) ?? rk.taskId,
    runId,
    ...worker,
    provisionerId: idWord(status.provisionerId) ?? rk.provisionerId,
    workerType: idWord(status.workerType) ?? rk.workerType,
  };
}

/** The original's identifier, `$DC:$HOSTNAME`. */
export const machineId = (datacenter: string, hostname: string): string =>
  `${datacenter}:${hostname}`;

/** Python's `id.partition(':')`, as the original's `/machines` split stored fields. */
export function partitionMachineId(id: string): { datacenter: string; machine: string } {
  const at = id.indexOf(':');
  return at === -1
    ? { datacenter: id, machine: '' }
    : { datacenter: id.slice(0, at), machine: id.slice(at + 1) };
}

/**
 * A `<datacenter>:<hostname>` given by a person, split at the first colon as the API looks ids up
 * and `/machines` splits them: the hostname is the rest, colons included (the original wrote any
 * field, so `a:b:c` may be stored). Null without a colon or with an empty side: no such id can
 * be stored. Anything else is looked up as it is, so the CLI finds what the API finds.
 */
export function parseMachineId(id: string): { datacenter: string; hostname: string } | null {
  if (!id.includes(':')) return null;
  const { datacenter, machine } = partitionMachineId(id);
  return datacenter && machine ? { datacenter, hostname: machine } : null;
}
