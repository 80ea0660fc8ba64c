import type { FastifyInstance } from 'fastify';

/** What a body refused for prototype poisoning is told, where Fastify says it is not JSON. */
export const PROTO_KEY_REFUSED =
  'Body holds the key "__proto__" (or "constructor" with "prototype"), which no field here has and which could reach the prototype of objects';

/** JSON that Fastify's secure parser refused although it parses: a poisoning key. */
function holdsPoisoningKey(body: string): boolean {
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * JSON bodies parsed as Fastify parses them (its defaults against prototype poisoning), except
 * that an empty one is no body: the original slavealloc client sent `Content-Type:
 * application/json` with every request, DELETEs included, and Fastify would answer those 400
 * before the route runs. A body refused for a poisoning key says so, not that it is no JSON.
 */
export function emptyJsonIsNoBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '') return done(null, undefined);
    parse(req, body, (err, value) => {
      if (err && holdsPoisoningKey(body))
        return done(Object.assign(new Error(PROTO_KEY_REFUSED), { statusCode: 400 }), undefined);
      done(err, value);
    });
  });
}
