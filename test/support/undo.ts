import { afterEach } from '@jest/globals';

/** Records one step that takes away what a test made. */
export type Undo = (step: () => unknown) => void;

/**
 * For a test file whose tests start processes and make queues, keys and files: returns `undo`,
 * which records how to take one thing away again. After each test, passed or failed, the steps
 * run newest first; one that fails does not keep the others from running, and the first
 * failure is reported once all have run.
 */
export function undoAfterEach(): Undo {
  const steps: Array<() => unknown> = [];
  afterEach(async () => {
    const failures: unknown[] = [];
    for (const step of steps.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  });
  return (step) => void steps.push(step);
}
