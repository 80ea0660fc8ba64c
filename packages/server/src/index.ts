export type { BodyToken, RouteMiss, RouteModule, ServerDeps } from './route-module.js';
export { buildApp, type AppOptions } from './app.js';
export { startServer, type RunningServer } from './server.js';
export { escapeHtml, html, page, sendPage, Html, type PageLink, type PageOptions } from './html.js';
export type { Readiness } from './readiness.js';
