import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from '@loopabull/server';
import { CHECK_OUTCOMES, RESULTSDB_OUTCOMES } from '../outcomes.js';
import { bodyTexts } from './body-text.js';
import {
  parseNewGroup,
  parseNewResult,
  parseNewTestcase,
  serializeGroup,
  serializeResult,
  serializeTestcase,
  utcNow,
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
import { FLASK_JSON_TYPE, flaskJson } from './flask-json.js';
import type { ResultsStore } from './store.js';
import { decodePath, origin, pathValue, requestUrl, testcasePath } from './werkzeug.js';

export const API = '/api/v2.0';

export interface ResultsdbOptions {
  /** Outcomes accepted besides PASSED, INFO, FAILED, NEEDS_INSPECTION. */
  additionalOutcomes?: readonly string[];
  /** The stored time of a result POSTed without submit_time; `utcNow` by default. */
  now?: () => string;
  /** How a POSTed result is stored; the store's `create` by default (the automation records, with events). */
  record?: (r: NewResult) => Promise<StoredResult>;
  /**
   * The URL clients reach the API at through a reverse proxy (`taskotron.resultsdb_public_url`,
   * no trailing `/`), which every href and link starts with; null: the request's own.
   */
  publicUrl?: string | null;
}

/** Whether a request's URL is the API's (`/api/v2.0`, below it, or with a query). */
const underApi = (url: string) => url === API || /^\/api\/v2\.0[/?]/.test(url);

/** Where a request reached the API: what Werkzeug's `request.url` starts with. */
const ownBase = (req: FastifyRequest) => `${origin(req.protocol, req.host)}${API}`;
const fail = (reply: FastifyReply, code: number, message: string) =>
  reply.code(code).send({ message });
/** No stored name holds U+0000 (POSTs refuse it), and PostgreSQL cannot even compare one. */
const storable = (name: string) => !name.includes('\0');
/**
 * Whether one of ResultsDB's routes for `method` (GET or POST; HEAD is GET's) takes `path`
 * (decoded), as Werkzeug matches it: the routes registered below, with their checks of what a
 * parameter may be.
 */
function takes(path: string, method: string): boolean {
  if (!path.startsWith(`${API}/`)) return method !== 'POST' && path === API;
  const rest = path.slice(API.length + 1);
  if (method === 'POST') return /^(results|groups|testcases)$/.test(rest);
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (rest === '') return true;
  if (/^(results|results\/latest|groups|testcases|healthcheck)$/.test(rest)) return true;
  if (/^(results|groups)\/[^/]+$/.test(rest) || /^groups\/[^/]+\/results$/.test(rest)) return true;
  return rest.startsWith('testcases/') && testcasePath(rest.slice('testcases/'.length)) !== null;
}

/**
 * Whether a decoded parameter is one path segment, as `<group_id>` and `<result_id>` take: the
 * WSGI server hands Flask the path decoded, so `/groups/a%2Fb` is `/groups/a/b`, no route's.
 * Werkzeug's converter takes at least one character, so `/groups/` and `/results/` are no
 * route's either.
 */
const segment = (value: string) => value !== '' && !value.includes('/');

/** JSON is UTF-8 (RFC 8259); ResultsDB's Flask answered another body 400 `Malformed Request`. */
export const NOT_UTF8 = 'Body is not valid JSON: it is not UTF-8';

const RE_PAGE = /([?&])page=([0-9]+)/;
const RE_PAGES = /[?&]page=[0-9]+/g;
const RE_CALLBACK = /([?&])callback=[^&]*&?/g;
const PLACEHOLDER = '\0';

/**
 * ResultsDB's `prev` and `next`: the URL as requested (as Werkzeug's `request.url` writes it),
 * its `page=N` replaced (or `&page=N` added), a JSONP `callback` left out; null when there is
 * no such page.
 */
function links(req: FastifyRequest, paging: Paging, more: boolean, publicUrl: string | null) {
  const url = asRequested(req, publicUrl);
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

/**
 * Werkzeug's `request.url`, its scheme, host and script root (mod_wsgi's SCRIPT_NAME, as Fedora
 * served ResultsDB under `/resultsdb_api`) those of `publicUrl` when one is set. Every route is
 * under `/api/v2.0`, so the URL as requested always starts with `ownBase`.
 */
function asRequested(req: FastifyRequest, publicUrl: string | null): string {
  const url = requestUrl(origin(req.protocol, req.host), req.url);
  const own = ownBase(req);
  return publicUrl !== null && url.startsWith(own) ? publicUrl + url.slice(own.length) : url;
}

/**
 * Every JSON answer under the API as Flask's `jsonify` wrote ResultsDB's (flask-json.ts): keys
 * sorted, `application/json`; the server's own refusals there (401, 405, 503) are sent so too.
 */
function answerAsFlask(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (underApi(req.url)) reply.serializer(flaskJson);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (!underApi(req.url)) return payload;
    const type = reply.getHeader('content-type');
    // A payload the serializer wrote has no type yet; an empty answer (OPTIONS) keeps none.
    const json =
      type === undefined
        ? payload !== undefined && payload !== null && payload !== ''
        : String(type).startsWith('application/json');
    if (json) reply.header('content-type', FLASK_JSON_TYPE);
    return payload;
  });
}

function register(app: FastifyInstance, store: ResultsStore, options: ResultsdbOptions): void {
  const publicUrl = options.publicUrl ?? null;
  answerAsFlask(app);
  const base = (req: FastifyRequest) => publicUrl ?? ownBase(req);
  /**
   * ResultsDB's 404 for a path no route takes. But a path that a route takes once its runs of
   * `/` are one (`/testcases//a`, `/api/v2.0//results`) is a 308 to that path, the query kept, as
   * Werkzeug's `merge_slashes` answers it, for a POST too (clients, requests among them, follow
   * a 308 with the same method and body: an `api_url` ending in `/` posts to `//results`). A
   * path a route takes under another method is Werkzeug's 405.
   */
  const notFound = (req: FastifyRequest, reply: FastifyReply) => {
    const at = req.url.indexOf('?');
    const path = decodePath(at < 0 ? req.url : req.url.slice(0, at));
    const merged = path.replace(/\/{2,}/g, '/');
    if (merged !== path && takes(merged, req.method)) {
      const location = `${base(req)}${pathValue(merged.slice(API.length))}${at < 0 ? '' : req.url.slice(at)}`;
      return reply
        .code(308)
        .header('location', location)
        .send({ message: `Redirecting to ${location}` });
    }
    const allow = ['GET', 'POST'].filter((m) => takes(path, m) || takes(merged, m));
    if (!allow.length || allow.includes(req.method)) return fail(reply, 404, 'Not found');
    const methods = [...allow, 'HEAD', 'OPTIONS'].sort().join(', ');
    reply.header('allow', methods);
    // Flask answers OPTIONS itself on every route, with the same Allow.
    if (req.method === 'OPTIONS') return reply.code(200).send();
    return fail(reply, 405, `${req.method} is not allowed here; this path takes ${methods}`);
  };
  const outcomes = [...RESULTSDB_OUTCOMES, ...(options.additionalOutcomes ?? [])];
  // What a query may select: also what the runner stores here besides them, checkb's ABORTED
  // and CRASHED, which a POST is refused unless `additional_outcomes` names them.
  const stored = [...new Set([...outcomes, ...CHECK_OUTCOMES])];
  const now = options.now ?? utcNow;
  const record = options.record ?? ((r: NewResult) => store.create(r));
  const count = async (uuid: string) => (await store.resultsCounts([uuid])).get(uuid) ?? 0;

  const bodies = bodyTexts();
  /** What each POST route runs first: its body's text kept, and one that is no UTF-8 refused. */
  const writes = {
    preParsing: bodies.hook,
    preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
      if (!bodies.utf8(req)) return fail(reply, 400, NOT_UTF8);
    },
  };
  app.post(`${API}/results`, writes, async (req, reply) => {
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
    const q = parseResultQuery((req.query ?? {}) as Record<string, unknown>, stored);
    if (!q.ok) return fail(reply, 400, q.message);
    const page = await store.list({ ...q.filter, ...only }, q.paging, q.view.order);
    return {
      ...links(req, q.paging, page.more, publicUrl),
      data: page.rows.map((r) => serializeResult(r, base(req))),
    };
  };

  app.get(`${API}/results`, (req, reply) => results(req, reply));

  app.get(`${API}/results/latest`, async (req, reply) => {
    const q = parseResultQuery((req.query ?? {}) as Record<string, unknown>, stored);
    if (!q.ok) return fail(reply, 400, q.message);
    if (q.view.distinctOn.length && !selectsBeyondOutcome(q.filter))
      return fail(reply, 400, DISTINCT_ON_ALONE);
    // ResultsDB checks `outcome` here but selects by it only in GET /results: "latest" is the
    // newest result of each testcase whatever its outcome, never an older one that failed.
    // Ordered by `_sort` as GET /results, as ResultsDB orders its "latest" query.
    const rows = await store.latest(
      { ...q.filter, outcomes: undefined },
      q.view.distinctOn,
      q.view.order,
    );
    return { data: rows.map((r) => serializeResult(r, base(req))) };
  });

  app.get<{ Params: { id: string } }>(`${API}/results/:id`, async (req, reply) => {
    if (!segment(req.params.id)) return notFound(req, reply);
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
      ...links(req, q.paging, page.more, publicUrl),
      data: page.rows.map((g) => serializeGroup(g, base(req), counts.get(g.uuid) ?? 0)),
    };
  });

  app.post(`${API}/groups`, writes, async (req, reply) => {
    const parsed = parseNewGroup(req.body, bodies.of(req));
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const saved = await store.saveGroup(parsed.value);
    return reply.code(201).send(serializeGroup(saved, base(req), await count(saved.uuid)));
  });

  app.get<{ Params: { uuid: string } }>(`${API}/groups/:uuid`, async (req, reply) => {
    if (!segment(req.params.uuid)) return notFound(req, reply);
    const group = storable(req.params.uuid) ? await store.group(req.params.uuid) : undefined;
    return group
      ? serializeGroup(group, base(req), await count(group.uuid))
      : fail(reply, 404, 'Group not found');
  });

  app.get<{ Params: { uuid: string } }>(`${API}/groups/:uuid/results`, async (req, reply) => {
    if (!segment(req.params.uuid)) return notFound(req, reply);
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
      ...links(req, q.paging, page.more, publicUrl),
      data: page.rows.map((t) => serializeTestcase(t, base(req))),
    };
  });

  app.post(`${API}/testcases`, writes, async (req, reply) => {
    const parsed = parseNewTestcase(req.body, bodies.of(req));
    if (!parsed.ok) return fail(reply, 400, parsed.message);
    const saved = await store.saveTestcase(parsed.value);
    return reply.code(201).send(serializeTestcase(saved, base(req)));
  });

  // One route for ResultsDB's /testcases/<path:name> and /testcases/<path:name>/results: a
  // name may hold `/` (tmt plans: `fedora-ci.koji-build./plans/basic.functional`), raw or %2F.
  app.get<{ Params: { '*': string } }>(`${API}/testcases/*`, async (req, reply) => {
    const path = testcasePath(req.params['*']);
    if (!path) return notFound(req, reply);
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
  app.get(`${API}/*`, (req, reply) => notFound(req, reply));
  // The other methods under the API, which no route of their own takes: ResultsDB's 404, 405,
  // 200 (OPTIONS) or 308 as above, not the server's answer listing every method some route
  // under `/api/v2.0/*` takes (the GET route above takes every path). The server's guard has
  // checked the token of a write first, as for any write.
  app.route({
    method: ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: `${API}/*`,
    handler: (req, reply) => notFound(req, reply),
  });
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

/** Headers that belong to one connection and its body, not to the request or answer passed on. */
const HOP_BY_HOP = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'date',
]);

/**
 * A GET under the API whose escapes the router cannot decode (`/testcases/%E0%A4%A`): the WSGI
 * server hands Flask such a path decoded as UTF-8 with U+FFFD for the bytes that are none (`%A`
 * left as it is), and Flask routes that: 404 `Testcase not found`, as the name is not stored. It
 * is answered here as the routes answer that path, escaped anew; another method, or a path that
 * is the same escaped anew (a parameter over the router's length), is ResultsDB's 404.
 */
export async function answerUndecodable(reply: FastifyReply): Promise<unknown> {
  const req = reply.request;
  const at = req.url.indexOf('?');
  const url =
    pathValue(decodePath(at < 0 ? req.url : req.url.slice(0, at))) +
    (at < 0 ? '' : req.url.slice(at));
  if ((req.method !== 'GET' && req.method !== 'HEAD') || url === req.url)
    return fail(reply, 404, 'Not found');
  try {
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
    );
    const inner = await req.server.inject({ method: req.method, url, headers });
    for (const [name, value] of Object.entries(inner.headers))
      if (!HOP_BY_HOP.has(name) && value !== undefined) reply.header(name, value);
    return reply.code(inner.statusCode).send(inner.rawPayload);
  } catch (err) {
    reply.request.log.error(err);
    return fail(reply, 500, 'internal error, see the server log');
  }
}
