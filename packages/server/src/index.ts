export type { RouteModule, ServerDeps } from './route-module.js';
export { buildApp, type AppOptions } from './app.js';
export { startServer, type RunningServer } from './server.js';
export { escapeHtml, html, page, Html } from './html.js';
export type { Readiness } from './readiness.js';
