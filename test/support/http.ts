import type { FastifyInstance } from 'fastify';

export interface HttpAnswer {
  statusCode: number;
  contentType: string | null;
  header(name: string): string | null;
  bytes: Buffer;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests assert on the shape
}

export type HttpClient = (
  path: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<HttpAnswer>;

/**
 * Serves a fastify app on a loopback port and returns a client for it. Tests go over real
 * HTTP because `app.inject()` needs an ESM-only module that Jest cannot load on Node 20.
 */
export async function serveForTest(app: FastifyInstance): Promise<HttpClient> {
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return async (path, init = {}) => {
    const res = await fetch(base + path, init);
    const bytes = Buffer.from(await res.arrayBuffer());
    const body = bytes.toString('utf8');
    return {
      statusCode: res.status,
      contentType: res.headers.get('content-type'),
      header: (name) => res.headers.get(name),
      bytes,
      body,
      json: () => JSON.parse(body),
    };
  };
}
