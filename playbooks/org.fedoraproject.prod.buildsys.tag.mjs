// Taskotron's trigger (docs/taskotron.md): a Koji tag change (scheduled after taskotron.fuse_delay, once per tag) becomes the checks the trigger rules
// ask for, each published as a taskotron.job. To override, edit this file or put org.fedoraproject.prod.buildsys.tag.yml
// beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('taskotron', 'trigger')(event, ctx);
