export { createProgram } from './program.js';
export { shippedAutomations } from './automations.js';
