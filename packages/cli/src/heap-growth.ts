import { setFlagsFromString } from 'node:v8';

const FLAG = '--heap-growing-percent';

/**
 * After a full garbage collection V8 lets the old generation grow to up to four times what
 * survived it (on a machine with more than 2 GB) before it collects again. The looper and the
 * workers keep about 20 MB alive but promote the messages and jobs in flight, so under a burst
 * their old generation filled with 60 MB of garbage before V8 looked at it. Twice what survived
 * is room enough: the same messages took no more CPU (docs/benchmarks.md, Memory). V8 reads the
 * setting at each collection, so setting it at run time takes effect; a value given on node's
 * command line is kept.
 */
export function boundHeapGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith(FLAG))) return;
  setFlagsFromString(`${FLAG}=100`);
}
