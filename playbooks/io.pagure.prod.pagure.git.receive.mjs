// Taskotron's trigger (docs/taskotron.md): a Pagure commit becomes the checks the trigger rules
// ask for, each published as a taskotron.job. To override, edit this file or put io.pagure.prod.pagure.git.receive.yml
// beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('taskotron', 'trigger')(event, ctx);
