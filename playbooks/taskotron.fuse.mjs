// Taskotron's tag fuse (docs/taskotron.md): a Koji tag change's fuse has burnt, and the trigger
// schedules the checks the rules ask for. The trigger leaves these jobs on the queue itself.
export default (event, ctx) => ctx.automation('taskotron', 'fuse')(event, ctx);
