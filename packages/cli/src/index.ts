export { createProgram } from './program.js';
export { shippedAutomations } from './automations.js';
export { DAEMON_NODE_FLAGS } from './memory-bounds.js';
