export { createProgram } from './program.js';
export { shippedAutomations } from './automations.js';
export { DAEMON_NODE_FLAGS, nodeFlagsFor } from './memory-bounds.js';
