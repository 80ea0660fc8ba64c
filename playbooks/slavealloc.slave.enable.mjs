// Build-slave allocation (docs/slavealloc.md): enables the slave named in the message's "slave"
// (notes, if given, replace its notes). To override, edit this file or put
// slavealloc.slave.enable.yml beside it: .yml is looked up before .mjs.
export default (event, ctx) => ctx.automation('slavealloc', 'enable')(event, ctx);
