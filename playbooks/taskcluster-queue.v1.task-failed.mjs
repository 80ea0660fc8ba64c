// Hardware last-seen tracking (docs/hardware.md): hands these Taskcluster queue messages to the
// shipped handler, up to 500 at once (one Redis call records them all; a batch holds at most
// workers.concurrency jobs). To override, edit this file (e.g. await the handler, then do more
// with its results) or put taskcluster-queue.v1.task-failed.yml beside it: .yml is looked up first.
export const batch = { max: 500, wait_ms: 20 };
export default (events, ctx) => ctx.automationBatch('hardware')(events, ctx);
