/**
 * What a run leaves that must not outlive the process: its playbook's process group, its vars
 * file. A worker that exits without waiting for its runs (a second SIGTERM or Ctrl-C, a crash)
 * would otherwise leave ansible-playbook running, orphaned, beside the retry of the job, and the
 * message on disk. Only synchronous work can be done on exit.
 */
const cleanups = new Set<() => void>();

/** Runs every cleanup still registered; the process's `exit` event calls it. */
export function runExitCleanups(): void {
  for (const cleanup of cleanups) cleanup();
  cleanups.clear();
}

process.on('exit', runExitCleanups);

/** Registers `cleanup` to run if the process exits first; call the result once it is done. */
export function onExit(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
