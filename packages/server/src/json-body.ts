import type { FastifyInstance } from 'fastify';

/**
 * JSON bodies parsed as Fastify parses them (its defaults against prototype poisoning), except
 * that an empty one is no body: the original slavealloc client sent `Content-Type:
 * application/json` with every request, DELETEs included, and Fastify would answer those 400
 * before the route runs.
 */
export function emptyJsonIsNoBody(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' ? done(null, undefined) : parse(req, body, done),
  );
}
