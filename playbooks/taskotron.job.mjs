// Taskotron (docs/taskotron.md): runs the check a scheduled `taskotron.job` names and reports its
// results. To override, edit this file (e.g. await the runner, then do more with its result) or
// put taskotron.job.yml beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('taskotron', 'run')(event, ctx);
