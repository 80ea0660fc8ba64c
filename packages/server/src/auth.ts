import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const READING = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * With `http.token` set, every changing request needs `Authorization: Bearer <token>`.
 * Reading stays open, as the original services' endpoints were.
 */
export function requireTokenForChanges(app: FastifyInstance, token: string | null): void {
  if (!token) return;
  app.addHook('onRequest', async (req, reply) => {
    if (READING.has(req.method)) return;
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameSecret(given, token)) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'this endpoint changes state and needs Authorization: Bearer <http.token>',
      });
    }
  });
}
