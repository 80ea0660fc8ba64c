import type { RouteModule } from './route-module.js';

/** The body of an answer the server itself gives with an error message, for a request's URL. */
export type ErrorBody = (url: string, message: string) => Record<string, unknown>;

/**
 * `{"error": message}`, unless a module words errors under the URL's path its own way
 * (RouteModule.errors): its clients then find the message where its original API put it.
 */
export function errorBodies(modules: readonly RouteModule[]): ErrorBody {
  const shapes = modules.flatMap((m) => (m.errors ? [m.errors] : []));
  return (url, message) =>
    shapes.find((shape) => url.startsWith(shape.under))?.body(message) ?? { error: message };
}
