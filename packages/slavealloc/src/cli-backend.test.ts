import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apiBackend } from './cli-backend.js';

/**
 * `-A URL`'s client against a local server: the API's own 404s (`{}` for no such row,
 * `{"success": false}` for no allocation) mean "none"; any other answer is an error naming it.
 */
describe('apiBackend: what a 404 means', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      const send = (status: number, body: string) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (path === '/api/slaves/nobody?byname=1') return send(404, '{}');
      if (path === '/api/gettac/nobody') return send(404, '{"success":false}');
      if (path === '/api/gettac/broken') return send(500, '{"error":"Internal Server Error"}');
      if (path === '/api/gettac/who') return send(418, JSON.stringify(req.headers.authorization));
      // What a server answers for a path it does not have (Fastify's not-found handler).
      return send(
        404,
        JSON.stringify({
          message: `Route GET:${path} not found`,
          error: 'Not Found',
          statusCode: 404,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("the API's own 404s are no row and no tac", async () => {
    const api = apiBackend(`${url}/api`, null);
    expect(await api.byName('slaves', 'nobody')).toBeNull();
    expect(await api.gettac('nobody')).toBeNull();
  });

  it('a 404 from a path that is not the API is an error, not "No slave found"', async () => {
    const wrong = apiBackend(`${url}/slavealloc/api`, null);
    await expect(wrong.byName('slaves', 'linux-1')).rejects.toThrow(
      `${url}/slavealloc/api/slaves/linux-1?byname=1 answered 404: {"message":"Route GET:/slavealloc/api/slaves/linux-1?byname=1 not found","error":"Not Found","statusCode":404} (is ${url}/slavealloc/api the slavealloc API, e.g. http://host:8080/api?)`,
    );
    await expect(wrong.gettac('linux-1')).rejects.toThrow(/answered 404: .*the slavealloc API/);
  });

  it('a server error on /api/gettac is reported with its status', async () => {
    await expect(apiBackend(`${url}/api`, null).gettac('broken')).rejects.toThrow(
      `${url}/api/gettac/broken answered 500: {"error":"Internal Server Error"}`,
    );
  });

  it('sends a user and password in -A as basic authentication, and names the URL without them', async () => {
    const withUser = apiBackend(`${url.replace('//', '//ops:p%40ss%3Aw@')}/api`, 'tok');
    const failure = withUser.gettac('who').catch((err: Error) => err.message);
    const expected = `Basic ${Buffer.from('ops:p@ss:w').toString('base64')}`;
    expect(await failure).toBe(`${url}/api/gettac/who answered 418: ${JSON.stringify(expected)}`);
    // Without a user, the token goes only with changes, not with reads.
    expect(
      await apiBackend(`${url}/api`, 'tok')
        .gettac('who')
        .catch((err: Error) => err.message),
    ).toBe(`${url}/api/gettac/who answered 418: `);
  });
});
