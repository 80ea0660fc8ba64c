import type { FastifyInstance, FastifyReply } from 'fastify';
import { JOB_STATES, JobRefused, type JobState, type QueueServices } from '@loopabull/core';

/** The answer to a job id that names no job. */
export const unknownJob = (reply: FastifyReply) => reply.code(404).send({ error: 'unknown job' });

/**
 * What `act` answers, or `code` with the reason when Jobs refuses the job (a parked message's
 * id, a job retry-policy refuses, one a worker is running). Any other error, Redis away included,
 * goes on to the error handling.
 */
async function unlessRefused(
  reply: FastifyReply,
  code: 404 | 409,
  act: () => Promise<unknown>,
): Promise<unknown> {
  try {
    return await act();
  } catch (err) {
    if (err instanceof JobRefused) return reply.code(code).send({ error: err.message });
    throw err;
  }
}

/** `{success: true}`, or 404 when there was no such job. */
const done = (found: boolean, reply: FastifyReply) =>
  found ? { success: true } : unknownJob(reply);

/** The JSON API behind `loopabull queue` and `loopabull jobs`, for scripts and dashboards. */
export function registerApi(app: FastifyInstance, services: QueueServices): void {
  app.get('/api/queue', async () => services.work.depth());

  app.get<{ Querystring: { state?: JobState; topic?: string; limit?: number } }>(
    '/api/jobs',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: [...JOB_STATES], default: 'failed' },
            topic: { type: 'string', maxLength: 255 },
            // Larger limits are cut to LIST_MAX (Jobs.list) rather than refused, so old scripts
            // keep working; `jobs list`, typed by an operator, refuses them (docs/http.md).
            limit: { type: 'integer', minimum: 1, default: 50 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) =>
      services.jobs.list({
        state: req.query.state ?? 'failed',
        topic: req.query.topic,
        limit: req.query.limit ?? 50,
      }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/jobs/:id',
    async (req, reply) => (await services.jobs.showOrParked(req.params.id)) ?? unknownJob(reply),
  );
  // A parked message has no log: 404, saying so.
  app.get<{ Params: { id: string } }>('/api/jobs/:id/logs', (req, reply) =>
    unlessRefused(reply, 404, async () => {
      const logs = await services.jobs.logs(req.params.id);
      return logs ? { logs } : unknownJob(reply);
    }),
  );
  app.post<{ Params: { id: string } }>('/api/jobs/:id/retry', (req, reply) =>
    unlessRefused(reply, 409, async () => done(await services.jobs.retry(req.params.id), reply)),
  );
  app.post('/api/jobs/retry-failed', async () => ({
    success: true,
    retried: await services.jobs.retryFailed(),
  }));
  app.delete<{ Params: { id: string } }>('/api/jobs/:id', (req, reply) =>
    unlessRefused(reply, 409, async () => done(await services.jobs.remove(req.params.id), reply)),
  );
  app.get<{ Querystring: { limit?: number; topic?: string } }>(
    '/api/parked',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            // Cut to PARKED_LIST_MAX (ParkingLot.list) rather than refused, as /api/jobs does.
            limit: { type: 'integer', minimum: 1, default: 50 },
            // As `jobs list --state parked --topic`: a filter left out would list every topic.
            topic: { type: 'string', maxLength: 255 },
          },
        },
      },
    },
    async (req) => services.parking.list(req.query.limit ?? 50, req.query.topic || undefined),
  );
  app.post('/api/pause', async () => {
    await services.work.pause();
    return { success: true, paused: true };
  });
  app.post('/api/resume', async () => {
    await services.work.resume();
    return { success: true, paused: false };
  });
}
