import { isUtf8 } from 'node:buffer';
import { pipeline, Transform } from 'node:stream';
import type { FastifyRequest, preParsingAsyncHookHandler } from 'fastify';

/**
 * The text of request bodies, for what JSON.parse loses of them: a POSTed result's, group's or
 * testcase's `1.0`, which ResultsDB (Python) stores as `1.0`, not `1` (parseNewResult). `hook` is a route's preParsing
 * hook that copies the body as it streams past to the JSON parser, which still reads it all, so
 * the server's body limit holds (and a body cut short fails the request as it does without);
 * `of` is the text afterwards (undefined for a request without), and `utf8` whether it was
 * UTF-8: the parser reads a byte that is none as U+FFFD, where ResultsDB's Flask refused the
 * body (RFC 8259: JSON is UTF-8).
 */
export function bodyTexts(): {
  hook: preParsingAsyncHookHandler;
  of(req: FastifyRequest): string | undefined;
  utf8(req: FastifyRequest): boolean;
} {
  const texts = new WeakMap<FastifyRequest, Buffer[]>();
  /** The body's bytes in one buffer, joined once for both questions asked of it. */
  const bytes = (req: FastifyRequest): Buffer | undefined => {
    const chunks = texts.get(req);
    if (chunks && chunks.length !== 1) chunks.splice(0, chunks.length, Buffer.concat(chunks));
    return chunks?.[0];
  };
  return {
    hook: async (req, _reply, payload) => {
      const chunks: Buffer[] = [];
      texts.set(req, chunks);
      const copy = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done(null, chunk);
        },
      });
      // Not pipe(): it passes no error on, so a body the client gave up on (a closed
      // connection) would leave the parser waiting for good instead of failing the request.
      pipeline(payload, copy, () => {});
      return copy;
    },
    of: (req) => bytes(req)?.toString('utf8'),
    utf8: (req) => {
      const body = bytes(req);
      return !body || isUtf8(body);
    },
  };
}
