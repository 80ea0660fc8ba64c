// Taskotron's trigger (docs/taskotron.md): a completed Koji build (primary instance, not scratch) becomes the checks the trigger rules
// ask for, each published as a taskotron.job. To override, edit this file or put org.fedoraproject.stg.buildsys.build.state.change.yml
// beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('taskotron', 'trigger')(event, ctx);
