// Taskotron's trigger (docs/taskotron.md): a GitHub pull request opened becomes the checks the
// trigger rules ask for, each published as a taskotron.job. To override, edit this file or put org.fedoraproject.prod.github.pull_request.opened.yml
// beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('taskotron', 'trigger')(event, ctx);
