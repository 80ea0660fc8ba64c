// Hardware last-seen tracking (docs/hardware.md): hands this Taskcluster queue message to the
// shipped handler. To override, edit this file (e.g. await the handler, then do more with its
// result) or put taskcluster-queue.v1.task-running.yml beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('hardware')(event, ctx);
