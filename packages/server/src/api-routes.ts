import type { FastifyInstance } from 'fastify';
import { JOB_STATES, JobRefused, type JobState, type QueueServices } from '@loopabull/core';

const notFound = { error: 'unknown job' };

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
            // Larger limits are cut to LIST_MAX rather than refused, so old scripts keep working.
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
    async (req, reply) =>
      (await services.jobs.showOrParked(req.params.id)) ?? reply.code(404).send(notFound),
  );
  app.get<{ Params: { id: string } }>('/api/jobs/:id/logs', async (req, reply) => {
    let logs: string[] | null;
    try {
      logs = await services.jobs.logs(req.params.id);
    } catch (err) {
      // A parked message: it has no log, and the answer says so.
      if (err instanceof JobRefused) return reply.code(404).send({ error: err.message });
      throw err;
    }
    return logs ? { logs } : reply.code(404).send(notFound);
  });
  app.post<{ Params: { id: string } }>('/api/jobs/:id/retry', async (req, reply) => {
    try {
      return (await services.jobs.retry(req.params.id))
        ? { success: true }
        : reply.code(404).send(notFound);
    } catch (err) {
      if (err instanceof JobRefused) return reply.code(409).send({ error: err.message });
      throw err;
    }
  });
  app.post('/api/jobs/retry-failed', async () => ({
    success: true,
    retried: await services.jobs.retryFailed(),
  }));
  app.delete<{ Params: { id: string } }>('/api/jobs/:id', async (req, reply) =>
    (await services.jobs.remove(req.params.id))
      ? { success: true }
      : reply.code(404).send(notFound),
  );
  app.get<{ Querystring: { limit?: number } }>(
    '/api/parked',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
        },
      },
    },
    async (req) => services.parking.list(req.query.limit ?? 50),
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
