export type { RouteModule, ServerDeps } from './route-module.js';
