import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * After a full garbage collection V8 lets the old generation grow to up to four times what
 * survived it (on a machine with more than 2 GB) before it collects again. The looper and the
 * workers keep about 20 MB alive but promote the messages and jobs in flight, so under a burst
 * their old generation filled with 60 MB of garbage before V8 looked at it. Half again what
 * survived is room enough (docs/benchmarks.md, Memory). Set at run time it bounds some of that
 * (V8 reads it at each collection), for a looper or worker started by hand; DAEMON_NODE_FLAGS
 * gives it on the command line, which bounds more and is kept.
 */
export function boundHeapGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith(FLAG))) return;
  setFlagsFromString(`${FLAG}=50`);
}

/**
 * Node flags for the looper and the workers, given by the systemd units and `loopabull up`.
 * V8's young generation grows to 16 MB semi-spaces (48 MB in all) under a burst, which only
 * node's command line can bound; and the heap growth set above at run time bounds less than the
 * same flag on the command line (a looper's peak 120 MB against 105 MB in the bench's hardware
 * run). With both, the bench's peaks fell from 133–149 MB to 104–113 MB, for about 7 % more looper
 * and worker CPU in alternating drains (docs/benchmarks.md, Memory).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=8',
  '--heap-growing-percent=50',
];

/** The node flags `loopabull <command>` is started with: DAEMON_NODE_FLAGS for the daemons. */
export const nodeFlagsFor = (command: string): readonly string[] =>
  command === 'looper' || command === 'worker' ? DAEMON_NODE_FLAGS : [];
