import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler, HandlerContext, LoopabullEvent } from '@loopabull/core';
import { RunError, isPermanent } from './errors.js';

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

/**
 * The handler's default export. The modification time goes into the module URL, so an edited
 * handler is a new module and runs without a restart (modules it imports are not reloaded).
 * The stat is synchronous for the reason resolution's are: a few µs instead of a thread-pool trip.
 */
export async function loadHandler(file: string, relative: string): Promise<Handler> {
  const { mtimeMs, size } = statSync(file);
  const url = `${pathToFileURL(file).href}?mtime=${mtimeMs}-${size}`;
  let mod: { default?: unknown };
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
  // A module Node reads as CommonJS (no `"type": "module"` nearby) nests the ESM default export once more.
  const fn =
    typeof mod.default === 'function'
      ? mod.default
      : (mod.default as { default?: unknown } | undefined)?.default;
  if (typeof fn !== 'function') {
    throw new RunError(`handler ${relative} has no default export function`, null, true);
  }
  return fn as Handler;
}

export interface HandlerRun {
  file: string;
  relative: string;
  event: LoopabullEvent;
  /** Everything but `signal`, which is made here. */
  ctx: Omit<HandlerContext, 'signal'>;
  timeoutSeconds: number;
  /** Aborted when the worker stops. */
  signal?: AbortSignal | undefined;
}

/**
 * Calls the handler with its context. At the timeout or when the worker stops, `ctx.signal` is
 * aborted and the run fails at once: a handler that ignores its signal cannot hold the job.
 */
export async function runHandler(run: HandlerRun): Promise<unknown> {
  const handler = await loadHandler(run.file, run.relative);
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`timed out after ${run.timeoutSeconds} s`)),
    run.timeoutSeconds * 1000,
  );
  const onStop = () => controller.abort(new Error('the worker is shutting down'));
  run.signal?.addEventListener('abort', onStop, { once: true });
  if (run.signal?.aborted) onStop();
  try {
    const aborted = new Promise<never>((_, reject) => {
      const fail = () =>
        reject(
          new RunError(
            `handler ${run.relative} stopped: ${(controller.signal.reason as Error).message}`,
            null,
            false,
          ),
        );
      if (controller.signal.aborted) fail();
      controller.signal.addEventListener('abort', fail, { once: true });
    });
    const call = (async () => handler(run.event, { ...run.ctx, signal: controller.signal }))();
    return await Promise.race([call, aborted]).catch((err: unknown) => {
      if (controller.signal.aborted) throw err;
      // A handler that knows retrying is pointless says so with a PermanentError.
      const permanent = isPermanent(err);
      throw new RunError(
        `handler ${run.relative} failed: ${err instanceof Error ? err.message : String(err)}`,
        null,
        permanent,
      );
    });
  } finally {
    clearTimeout(timer);
    run.signal?.removeEventListener('abort', onStop);
  }
}
