export { Looper, type LooperOptions, type LooperEvents } from './looper.js';
export { classify, deliveryOf, type Verdict } from './classify.js';
export { exchangesToDeclare, declareTopology } from './topology.js';
