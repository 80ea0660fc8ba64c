import { connect } from 'node:net';
import { afterEach, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { settleable, waitFor } from '@test/support';
import { bodyTexts } from './body-text.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A server whose one route copies its body with the hook; `seen` is what became of requests. */
async function server(bodyLimit?: number) {
  const bodies = bodyTexts();
  const seen: string[] = [];
  /** Resolved once a request reached the route's body hook. */
  const arrived = settleable();
  app = Fastify({ bodyLimit });
  app.addHook('onError', (_req, _reply, err, done) => {
    seen.push(`error ${err.message}`);
    done();
  });
  app.addHook('preParsing', (_req, _reply, payload, done) => {
    arrived.resolve();
    done(null, payload);
  });
  app.post('/r', { preParsing: bodies.hook }, async (req) => {
    seen.push(`body ${bodies.of(req)}`);
    return {};
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    seen,
    reached: arrived.promise,
    url: `${address}/r`,
    port: Number(new URL(address).port),
  };
}

it('hands the body on to the parser and keeps its text', async () => {
  const { seen, url } = await server();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"data": {"x": 1.0}}',
  });
  expect(res.status).toBe(200);
  expect(seen).toEqual(['body {"data": {"x": 1.0}}']);
});

it('still answers 413 for a body over the limit', async () => {
  const { url } = await server(16);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: { x: 'y'.repeat(100) } }),
  });
  expect(res.status).toBe(413);
});

it('fails the request, as without the hook, when the client closes before the body is whole', async () => {
  const { seen, reached, port } = await server();
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'POST /r HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a": 1',
  );
  // The body half read (not a request that never came): then the client goes.
  await reached;
  socket.destroy();
  // Piped, the copy never ended nor failed: the request was left waiting for its body for good.
  await waitFor(() => seen.length, { what: 'the request to end' });
  expect(seen).toEqual(['error aborted']);
});
