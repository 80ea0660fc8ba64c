import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '@loopabull/server';
import { RESULTSDB_OUTCOMES } from '../outcomes.js';
import { bodyTexts } from './body-text.js';
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
import {
  DISTINCT_ON_ALONE,
  parseGroupQuery,
  parseResultQuery,
  parseTestcaseQuery,
  selectsBeyondOutcome,
  type Paging,
  type ResultFilter,
} from './filters.js';
import type { ResultsStore } from './store.js';
import { origin, requestUrl, testcasePath } from './werkzeug.js';

export const API = '/api/v2.0';

export interface ResultsdbOptions {
  /** Outcomes accepted besides PASSED, INFO, FAILED, NEEDS_INSPECTION. */
  additionalOutcomes?: readonly string[];
  now?: () => Date;
  /** How a POSTed result is stored; the store's `create` by default (the automation records, with events). */
  record?: (r: NewResult) => Promise<StoredResult>;
}

const base = (req: FastifyRequest) => `${origin(req.protocol, req.host)}${API}`;
const fail = (reply: FastifyReply, code: number, message: string) =>
  reply.code(code).send({ message });
/** No stored name holds U+0000 (POSTs refuse it), and PostgreSQL cannot even compare one. */
const storable = (name: string) => !name.includes('\0');
/** ResultsDB's 404 for a path no route takes. */
const notFound = (reply: FastifyReply) => fail(reply, 404, 'Not found');
/**
 * Whether a decoded parameter is one path segment, as `<group_id>` and `<result_id>` take: the
 * WSGI server hands Flask the path decoded, so `/groups/a%2Fb` is `/groups/a/b`, no route's.
 * Werkzeug's converter takes at least one character, so `/groups/` and `/results/` are no
 * route's either.
 */
const segment = (value: string) => value !== '' && !value.includes('/');

const RE_PAGE = /([?&])page=([0-9]+)/;
const RE_PAGES = /[?&]page=[0-9]+/g;
const RE_CALLBACK = /([?&])callback=[^&]*&?/g;
const PLACEHOLDER = '\0';

/**
 * ResultsDB's `prev` and `next`: the URL as requested (as Werkzeug's `request.url` writes it),
 * its `page=N` replaced (or `&page=N` added), a JSONP `callback` left out; null when there is
 * no such page.
 */
function links(req: FastifyRequest, paging: Paging, more: boolean) {
  const url = requestUrl(origin(req.protocol, req.host), req.url);
  const m = RE_PAGE.exec(url);
  let at: (page: number) => string;
  // The page in the URL is the page served, unless it is written as ResultsDB's pattern does
  // not read it (`page=-1`); then the page is set in the query instead.
  if (m ? Number(m[2]) !== paging.page : /[?&]page=/.test(url)) {
    at = (page) => {
      const u = new URL(url);
      u.searchParams.delete('callback');
      u.searchParams.set('page', String(page));
      return u.toString();
    };
  } else {
    const template = (
      m
        ? url.replace(RE_PAGES, `${m[1]}page=${PLACEHOLDER}`)
        : `${url}${url.includes('?') ? '&' : '?'}page=${PLACEHOLDER}`
    )
      .replace(RE_CALLBACK, '$1')
      .replace(/&+/g, '&');
    at = (page) => template.replaceAll(PLACEHOLDER, String(page));
  }
  return {
    prev: paging.page > 0 ? at(paging.page - 1) : null,
    next: more ? at(paging.page + 1) : null,
  };
}

function register(app: FastifyInstance, store: ResultsStore, options: ResultsdbOptions): void {
  const outcomes = [...RESULTSDB_OUTCOMES, ...(options.additionalOutcomes ?? [])];
  const now = options.now ?? (() => new Date());
  const record = options.record ?? ((r: NewResult) => store.create(r));
  const count = async (uuid: string) => (await store.resultsCounts([uuid])).get(uuid) ?? 0;

  const bodies = bodyTexts();
  app.post(`${API}/results`, { preParsing: bodies.hook }, async (req, reply) => {
    const parsed = parseNewResult(req.body, { outcomes, now: now(), json: bodies.of(req) });
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const stored = await record(parsed.value);
    return reply.code(201).send(serializeResult(stored, base(req)));
  });

  /** GET /results; `only` the results of a group or testcase (its /results), as ResultsDB. */
  const results = async (
    req: FastifyRequest,
    reply: FastifyReply,
    only: Partial<Pick<ResultFilter, 'groups' | 'testcases'>> = {},
  ) => {
    const q = parseResultQuery((req.query ?? {}) as Record<string, unknown>, outcomes);
    if (!q.ok) return fail(reply, 400, q.message);
    const page = await store.list({ ...q.filter, ...only }, q.paging, q.view.order);
    return {
      ...links(req, q.paging, page.more),
      data: page.rows.map((r) => serializeResult(r, base(req))),
    };
  };

  app.get(`${API}/results`, (req, reply) => results(req, reply));

  app.get(`${API}/results/latest`, async (req, reply) => {
    const q = parseResultQuery((req.query ?? {}) as Record<string, unknown>, outcomes);
    if (!q.ok) return fail(reply, 400, q.message);
    if (q.view.distinctOn.length && !selectsBeyondOutcome(q.filter))
      return fail(reply, 400, DISTINCT_ON_ALONE);
    // ResultsDB checks `outcome` here but selects by it only in GET /results: "latest" is the
    // newest result of each testcase whatever its outcome, never an older one that failed.
    const rows = await store.latest({ ...q.filter, outcomes: undefined }, q.view.distinctOn);
    return { data: rows.map((r) => serializeResult(r, base(req))) };
  });

  app.get<{ Params: { id: string } }>(`${API}/results/:id`, async (req, reply) => {
    if (!segment(req.params.id)) return notFound(reply);
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : null;
    const found = id === null ? null : await store.get(id);
    return found ? serializeResult(found, base(req)) : fail(reply, 404, 'Result not found');
  });

  app.get(`${API}/groups`, async (req, reply) => {
    const q = parseGroupQuery((req.query ?? {}) as Record<string, unknown>);
    if (!q.ok) return fail(reply, 400, q.message);
    const page = await store.groups(q.filter, q.paging);
    const counts = await store.resultsCounts(page.rows.map((g) => g.uuid));
    return {
      ...links(req, q.paging, page.more),
      data: page.rows.map((g) => serializeGroup(g, base(req), counts.get(g.uuid) ?? 0)),
    };
  });

  app.post(`${API}/groups`, async (req, reply) => {
    const parsed = parseNewGroup(req.body);
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const saved = await store.saveGroup(parsed.value);
    return reply.code(201).send(serializeGroup(saved, base(req), await count(saved.uuid)));
  });

  app.get<{ Params: { uuid: string } }>(`${API}/groups/:uuid`, async (req, reply) => {
    if (!segment(req.params.uuid)) return notFound(reply);
    const group = storable(req.params.uuid) ? await store.group(req.params.uuid) : undefined;
    return group
      ? serializeGroup(group, base(req), await count(group.uuid))
      : fail(reply, 404, 'Group not found');
  });

  app.get<{ Params: { uuid: string } }>(`${API}/groups/:uuid/results`, async (req, reply) => {
    if (!segment(req.params.uuid)) return notFound(reply);
    const group = storable(req.params.uuid) ? await store.group(req.params.uuid) : undefined;
    return group
      ? results(req, reply, { groups: [group.uuid] })
      : fail(reply, 404, `Group not found: ${req.params.uuid}`);
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

  // One route for ResultsDB's /testcases/<path:name> and /testcases/<path:name>/results: a
  // name may hold `/` (tmt plans: `fedora-ci.koji-build./plans/basic.functional`), raw or %2F.
  app.get<{ Params: { '*': string } }>(`${API}/testcases/*`, async (req, reply) => {
    const path = testcasePath(req.params['*']);
    if (!path) return notFound(reply);
    const testcase = storable(path.name) ? await store.testcase(path.name) : undefined;
    if (!testcase) return fail(reply, 404, 'Testcase not found');
    return path.results
      ? results(req, reply, { testcases: [testcase.name] })
      : serializeTestcase(testcase, base(req));
  });

  app.get(`${API}/healthcheck`, () => ({ message: 'Health check OK' }));

  // ResultsDB's landing page (300) and its 404 for any other path under the API.
  const landing = (req: FastifyRequest, reply: FastifyReply) =>
    reply.code(300).send({
      message:
        'Everything is fine. But choose wisely, for while the true Grail will bring you life, ' +
        'the false Grail will take it from you.',
      documentation: 'http://docs.resultsdb20.apiary.io/',
      groups: `${base(req)}/groups`,
      results: `${base(req)}/results`,
      testcases: `${base(req)}/testcases`,
      outcomes,
    });
  app.get(API, landing);
  app.get(`${API}/`, landing);
  app.get(`${API}/*`, (_req, reply) => notFound(reply));
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
