// Taskotron's trigger (docs/taskotron.md): a finished Atomic or Cloud compose becomes the checks the
// trigger rules ask for, each published as a taskotron.job. To override, edit this file or put org.fedoraproject.prod.pungi.compose.status.change.yml
// beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('taskotron', 'trigger')(event, ctx);
