import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type {
  BatchContext,
  BatchHandler,
  BatchSettings,
  Handler,
  HandlerContext,
  LoopabullEvent,
} from '@loopabull/core';
import { isPermanent } from '@loopabull/core';
import { RunError } from '@loopabull/playbook';
import { deadlinesFor, HandlerCall, stoppedBeforeStart } from './deadlines.js';
import { JobContext, JobsContext } from './handler-context.js';
import { JobBatches } from './job-batches.js';
import { statThisTurn } from './stat-this-turn.js';

type ScopedImport = (specifier: string, parentURL: string) => Promise<unknown>;

let tsLoader: Promise<ScopedImport> | null = null;

/**
 * One tsx namespace for every TypeScript handler: `tsImport` would register a new set of
 * loader hooks on each call, which a long-running worker must not accumulate.
 */
function typescriptImport(): Promise<ScopedImport> {
  tsLoader ??= import('tsx/esm/api').then(({ register }) => {
    const api = register({ namespace: 'loopabull-handlers' });
    return (specifier, parentURL) => api.import(specifier, parentURL) as Promise<unknown>;
  });
  return tsLoader;
}

const batchSchema = z.strictObject({
  max: z.number().int().min(1).max(10_000),
  wait_ms: z.number().min(0).max(60_000),
});

/** A loaded handler module: its default export, and how it takes batches if it does. */
type HandlerModule =
  | { url: string; batch: null; handler: Handler }
  | { url: string; batch: BatchSettings; handler: BatchHandler };

async function importModule(file: string, url: string, relative: string): Promise<HandlerModule> {
  let mod: { default?: unknown; batch?: unknown };
  try {
    mod = (
      extname(file) === '.ts'
        ? await (
            await typescriptImport()
          )(url, import.meta.url)
        : await import(url)
    ) as { default?: unknown };
  } catch (err) {
    // Like a playbook that does not parse: another try of the same file cannot do better.
    throw new RunError(`handler ${relative} failed to load: ${(err as Error).message}`, null, true);
  }
  // A module Node reads as CommonJS (no `"type": "module"` nearby) nests the ESM exports once more.
  const nested = mod.default as { default?: unknown; batch?: unknown } | undefined;
  const fn = typeof mod.default === 'function' ? mod.default : nested?.default;
  if (typeof fn !== 'function') {
    throw new RunError(`handler ${relative} has no default export function`, null, true);
  }
  // `batch = null` is a declaration too, and a wrong one: `??` took it for none, and the handler
  // then got one event where it expects a list.
  const declared =
    mod.batch !== undefined ? mod.batch : fn === nested?.default ? nested?.batch : undefined;
  if (declared === undefined) return { url, batch: null, handler: fn as Handler };
  const batch = batchSchema.safeParse(declared);
  if (!batch.success) {
    const issue = batch.error.issues[0]!;
    throw new RunError(
      `handler ${relative} exports an invalid batch: ${issue.path.join('.') || 'batch'}: ${issue.message} (expected { max: 1..10000, wait_ms: 0..60000 })`,
      null,
      true,
    );
  }
  return { url, batch: batch.data, handler: fn as BatchHandler };
}

/** The module last imported for each file, and the stat it was imported at. */
interface Loaded {
  ino: bigint;
  ctimeNs: bigint;
  loading: Promise<HandlerModule>;
  /** Once `loading` resolved. */
  mod: HandlerModule | null;
}

/** A file is imported again only once it changed. */
const loaded = new Map<string, Loaded>();

/**
 * The handler module of a file. The file's inode and change time go into the module URL, so an
 * edited or replaced handler is a new module and runs without a restart (modules it imports are
 * not reloaded). Not the modification time: a copy that preserves times (rsync -a, cp -p) can
 * set it back, never the change time. The stat is synchronous for the reason resolution's are:
 * a few µs instead of a thread-pool trip, and shared by the jobs of one turn (stat-this-turn.ts).
 * An unchanged file's module is returned as it is, not as a promise: that is every job of a busy
 * topic.
 */
function loadHandlerModule(file: string, relative: string): HandlerModule | Promise<HandlerModule> {
  const stats = statThisTurn(file);
  if (!stats)
    throw new RunError(`handler ${relative} was removed before it could be loaded`, null, false);
  const { ino, ctimeNs } = stats;
  const known = loaded.get(file);
  if (known?.ino === ino && known.ctimeNs === ctimeNs) return known.mod ?? known.loading;
  const url = `${pathToFileURL(file).href}?v=${ino}-${ctimeNs}`;
  const entry: Loaded = { ino, ctimeNs, loading: importModule(file, url, relative), mod: null };
  loaded.set(file, entry);
  entry.loading.then(
    (mod) => (entry.mod = mod),
    // A module that failed to load is tried again by the next job.
    () => loaded.get(file) === entry && loaded.delete(file),
  );
  return entry.loading;
}

export interface HandlerRun {
  file: string;
  relative: string;
  event: LoopabullEvent;
  /** What the handler's context is made of; `logger` is tagged with the job when it is used. */
  ctx: Omit<HandlerContext, 'signal'> & Pick<BatchContext, 'automationBatch'>;
  timeoutSeconds: number;
  /** Aborted when the worker stops. */
  signal?: AbortSignal | undefined;
  /** Where a batch handler's jobs gather; without it, each runs as a batch of one. */
  batches?: JobBatches | undefined;
}

/** A handler's failure as the worker records it. */
function asRunError(relative: string, err: unknown): RunError {
  if (err instanceof RunError) return err;
  // A handler that knows retrying is pointless says so with a PermanentError.
  return new RunError(
    `handler ${relative} failed: ${err instanceof Error ? err.message : String(err)}`,
    null,
    isPermanent(err),
  );
}

/**
 * Runs `call` with a signal (`call.signal()`) that is aborted at the timeout or when the worker
 * stops; either fails the run at once. A handler that returns without a promise is done: no
 * deadline is kept for it, nothing could stop it anyway.
 */
function withDeadline<T>(
  relative: string,
  timeoutSeconds: number,
  stop: AbortSignal | undefined,
  call: (handlerCall: HandlerCall) => PromiseLike<T> | T,
): Promise<T> {
  if (stop?.aborted) return Promise.reject(stoppedBeforeStart(relative));
  const handlerCall = new HandlerCall(relative, timeoutSeconds);
  const started = performance.now();
  let called: PromiseLike<T> | T;
  try {
    called = call(handlerCall);
  } catch (err) {
    return Promise.reject(asRunError(relative, err));
  }
  if (!isThenable(called)) return Promise.resolve(called);
  return handlerCall.wait(called, deadlinesFor(stop), started, (err) => asRunError(relative, err));
}

const isThenable = <T>(value: PromiseLike<T> | T): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** A batch's log tag: `topic` when its events share one, else `topics`, each named once. */
function batchTopics(runs: HandlerRun[]): { topic: string } | { topics: string } {
  const topics = [...new Set(runs.map((r) => r.event.topic))];
  return topics.length === 1 ? { topic: topics[0]! } : { topics: topics.join(',') };
}

/** Calls a batch handler with the events of several runs of its module. */
function runBatch(mod: HandlerModule & { batch: BatchSettings }, runs: HandlerRun[]) {
  const first = runs[0]!;
  return withDeadline(first.relative, first.timeoutSeconds, first.signal, (call) =>
    mod.handler(
      runs.map((r) => r.event),
      new JobsContext(
        call,
        // A module folded from several topics (`topics.fold_prefixes`) batches them together.
        () => first.ctx.logger.child(batchTopics(runs)),
        {
          ...first.ctx,
          jobs: runs.map((r) => r.ctx.job),
          log: async (index, line) => {
            await runs[index]?.ctx.log(line);
          },
        },
      ),
    ),
  );
}

/**
 * Calls the handler with its context; a batch handler with the events of the runs of its module
 * gathered in `run.batches`. At the timeout or when the worker stops, `ctx.signal` is aborted
 * and the run fails at once.
 */
export function runHandler(run: HandlerRun): Promise<unknown> {
  let loading: HandlerModule | Promise<HandlerModule>;
  try {
    loading = loadHandlerModule(run.file, run.relative);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  // Not an async function: the module of a busy topic is loaded already, and its runs go
  // straight to the handler without a promise and a frame more each.
  return loading instanceof Promise
    ? loading.then((mod) => runModule(mod, run))
    : runModule(loading, run);
}

function runModule(mod: HandlerModule, run: HandlerRun): Promise<unknown> {
  if (!mod.batch) {
    const handler = mod.handler;
    const { ctx, event } = run;
    return withDeadline(run.relative, run.timeoutSeconds, run.signal, (call) =>
      handler(event, new JobContext(call, ctx, event.topic)),
    );
  }
  const batches = run.batches ?? new JobBatches(1);
  const batchMod = mod;
  return batches
    .submit(mod.url, mod.batch, run, (runs) => runBatch(batchMod, runs))
    .catch((err: unknown) => {
      throw asRunError(run.relative, err);
    });
}
