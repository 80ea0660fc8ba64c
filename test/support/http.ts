import { once } from 'node:events';
import { request, type IncomingMessage, type Server } from 'node:http';
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
    return answer(
      res.status,
      (name) => res.headers.get(name),
      Buffer.from(await res.arrayBuffer()),
    );
  };
}

function answer(
  statusCode: number,
  header: (name: string) => string | null,
  bytes: Buffer,
): HttpAnswer {
  const body = bytes.toString('utf8');
  return {
    statusCode,
    contentType: header('content-type'),
    header,
    bytes,
    body,
    json: () => JSON.parse(body),
  };
}

/**
 * A request with exactly the headers given, Host included, which fetch() always sets itself:
 * for what a browser after DNS rebinding, or a hostile client, would send.
 */
export async function rawRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  const { host, ...headers } = init.headers ?? {};
  // host '' sends none at all.
  const req = request(url, {
    method: init.method ?? 'GET',
    headers: host ? { host, ...headers } : headers,
    setHost: host === undefined,
  });
  req.end(init.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const header = (name: string) => {
    const value = res.headers[name.toLowerCase()];
    return value === undefined ? null : String(value);
  };
  return answer(res.statusCode!, header, Buffer.concat(chunks));
}

/**
 * The next request `server` answers, as an access log written from Node's request and its
 * finished answer would record it: `PUT /api/gettac/%FF 405`, the URL as the request holds it
 * once answered. Start it before sending the request.
 */
export function nextAnswered(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.once('request', (req: IncomingMessage, res) =>
      res.once('finish', () => resolve(`${req.method} ${req.url} ${res.statusCode}`)),
    );
  });
}
