import type { FastifyReply } from 'fastify';

/** `/machines/<id>`'s 404: the original's body, as text/plain where Flask sent text/html. */
export const unknownMachine = (reply: FastifyReply) =>
  reply.code(404).type('text/plain; charset=utf-8').send('unknown machine');

/**
 * `/api/hardware/machines/<id>`'s 404. Without `id` where the server could not read one from the
 * path (a bad %-escape, over 512 characters): the path is not echoed back.
 */
export const unknownMachineJson = (reply: FastifyReply, id?: string) =>
  reply
    .code(404)
    .send(id === undefined ? { error: 'unknown machine' } : { error: 'unknown machine', id });
