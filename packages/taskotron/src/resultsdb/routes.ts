import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '@loopabull/server';
import { RESULTSDB_OUTCOMES } from '../outcomes.js';
import {
  parseNewGroup,
  parseNewResult,
  parseNewTestcase,
  serializeGroup,
  serializeResult,
  serializeTestcase,
  type NewResult,
  type StoredResult,
} from './api.js';
import { parseGroupQuery, parseResultQuery, parseTestcaseQuery, type Paging } from './filters.js';
import type { ResultsStore } from './store.js';

export const API = '/api/v2.0';

export interface ResultsdbOptions {
  /** Outcomes accepted besides PASSED, INFO, FAILED, NEEDS_INSPECTION. */
  additionalOutcomes?: readonly string[];
  now?: () => Date;
  /** How a POSTed result is stored; the store's `create` by default (the automation records, with events). */
  record?: (r: NewResult) => Promise<StoredResult>;
}

const base = (req: FastifyRequest) => `${req.protocol}://${req.host}${API}`;
const fail = (reply: FastifyReply, code: number, message: string) =>
  reply.code(code).send({ message });
/** No stored name holds U+0000 (POSTs refuse it), and PostgreSQL cannot even compare one. */
const storable = (name: string) => !name.includes('\0');

/** ResultsDB's `prev` and `next`: this URL with another page, or null. */
function links(req: FastifyRequest, paging: Paging, more: boolean) {
  const at = (page: number) => {
    const url = new URL(req.url, `${req.protocol}://${req.host}`);
    url.searchParams.set('page', String(page));
    return url.toString();
  };
  return {
    prev: paging.page > 0 ? at(paging.page - 1) : null,
    next: more ? at(paging.page + 1) : null,
  };
}

function register(app: FastifyInstance, store: ResultsStore, options: ResultsdbOptions): void {
  const outcomes = [...RESULTSDB_OUTCOMES, ...(options.additionalOutcomes ?? [])];
  const now = options.now ?? (() => new Date());
  const record = options.record ?? ((r: NewResult) => store.create(r));

  app.post(`${API}/results`, async (req, reply) => {
    const parsed = parseNewResult(req.body, { outcomes, now: now() });
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const stored = await record(parsed.value);
    return reply.code(201).send(serializeResult(stored, base(req)));
  });

  app.get(`${API}/results`, async (req, reply) => {
    const q = parseResultQuery((req.query ?? {}) as Record<string, unknown>);
    if (!q.ok) return fail(reply, 400, q.message);
    const page = await store.list(q.filter, q.paging, q.view.order);
    return {
      ...links(req, q.paging, page.more),
      data: page.rows.map((r) => serializeResult(r, base(req))),
    };
  });

  app.get(`${API}/results/latest`, async (req, reply) => {
    const q = parseResultQuery((req.query ?? {}) as Record<string, unknown>);
    if (!q.ok) return fail(reply, 400, q.message);
    const rows = await store.latest(q.filter, q.view.distinctOn);
    return { data: rows.map((r) => serializeResult(r, base(req))) };
  });

  app.get<{ Params: { id: string } }>(`${API}/results/:id`, async (req, reply) => {
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : null;
    const found = id === null ? null : await store.get(id);
    return found ? serializeResult(found, base(req)) : fail(reply, 404, 'Result not found');
  });

  app.get(`${API}/groups`, async (req, reply) => {
    const q = parseGroupQuery((req.query ?? {}) as Record<string, unknown>);
    if (!q.ok) return fail(reply, 400, q.message);
    const page = await store.groups(q.filter, q.paging);
    return {
      ...links(req, q.paging, page.more),
      data: page.rows.map((g) => serializeGroup(g, base(req))),
    };
  });

  app.post(`${API}/groups`, async (req, reply) => {
    const parsed = parseNewGroup(req.body);
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const saved = await store.saveGroup(parsed.value);
    return reply.code(201).send(serializeGroup(saved, base(req)));
  });

  app.get<{ Params: { uuid: string } }>(`${API}/groups/:uuid`, async (req, reply) => {
    const group = storable(req.params.uuid) ? await store.group(req.params.uuid) : undefined;
    return group ? serializeGroup(group, base(req)) : fail(reply, 404, 'Group not found');
  });

  app.get(`${API}/testcases`, async (req, reply) => {
    const q = parseTestcaseQuery((req.query ?? {}) as Record<string, unknown>);
    if (!q.ok) return fail(reply, 400, q.message);
    const page = await store.testcases(q.filter, q.paging);
    return {
      ...links(req, q.paging, page.more),
      data: page.rows.map((t) => serializeTestcase(t, base(req))),
    };
  });

  app.post(`${API}/testcases`, async (req, reply) => {
    const parsed = parseNewTestcase(req.body);
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const saved = await store.saveTestcase(parsed.value);
    return reply.code(201).send(serializeTestcase(saved, base(req)));
  });

  app.get<{ Params: { name: string } }>(`${API}/testcases/:name`, async (req, reply) => {
    const testcase = storable(req.params.name) ? await store.testcase(req.params.name) : undefined;
    return testcase
      ? serializeTestcase(testcase, base(req))
      : fail(reply, 404, 'Testcase not found');
  });

  app.get(`${API}/healthcheck`, () => ({ message: 'Health check OK' }));
}

/**
 * The ResultsDB v2.0 API on `store` (docs/taskotron.md, "ResultsDB v2.0"). Writes pass the server's guard first: bearer
 * token, same origin, JSON.
 */
export const resultsdbRoutes = (
  store: ResultsStore,
  options: ResultsdbOptions = {},
): RouteModule => ({
  name: 'taskotron',
  register: (app) => register(app, store, options),
});
