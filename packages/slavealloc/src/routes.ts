import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { percentDecoded, type Logger } from '@loopabull/core';
import type { RouteModule } from '@loopabull/server';
import type { Allocation } from './allocator.js';
import type { SlaveFilters } from './rows.js';
import type { Slavealloc } from './service.js';
import { API_TABLES, isApiTable, type ApiTable } from './tables.js';
import { sendPage, type PageLink } from '@loopabull/server/html';
import { apiDocs } from './api-docs.js';
import { isRowId } from './limits.js';
import { asciiLower } from './slave-name.js';
import { DASHBOARD } from './ui.js';
import { twistedArgs, type TwistedArgs } from './twisted-args.js';
import { registerUi } from './ui-routes.js';
import type { WriteResult } from './writes.js';

/** The original's bare `application/json` (a string would get `; charset=utf-8`), never cached. */
const sendJson = (reply: FastifyReply, status: number, value: unknown) =>
  reply
    .code(status)
    .header('content-type', 'application/json')
    .header('cache-control', 'no-cache')
    .send(Buffer.from(JSON.stringify(value), 'utf8'));

const sendText = (reply: FastifyReply, status: number, text: string) =>
  reply
    .code(status)
    .header('content-type', 'text/plain')
    .header('cache-control', 'no-cache')
    .send(Buffer.from(text, 'utf8'));

const values = (args: TwistedArgs, key: string): readonly string[] => args.get(key) ?? [];

const TRUE = new Set(['1', 'true', 'True', 'yes']);
const FALSE = new Set(['0', 'false', 'False', 'no']);

/**
 * `?environment=&purpose=&pool=` (each repeatable: IN) and `?enabled=`, read as the original:
 * `request.args.get('enabled', [None])[0]`, the first value, an empty one no filter (it tested
 * the value's truth).
 */
function slaveFilters(args: TwistedArgs): SlaveFilters | string {
  const enabled = values(args, 'enabled')[0] || undefined;
  const flag =
    enabled === undefined
      ? undefined
      : TRUE.has(enabled)
        ? true
        : FALSE.has(enabled)
          ? false
          : null;
  if (flag === null)
    return `enabled must be 1 or 0 (true or false), not ${JSON.stringify(enabled)}`;
  return {
    environments: values(args, 'environment'),
    purposes: values(args, 'purpose'),
    pools: values(args, 'pool'),
    enabled: flag,
  };
}

/**
 * By name whenever the query has `byname=`, whatever its value (`0` and an empty one too), as
 * the original's truth test of the list `request.args.get('byname')`; a bare `?byname` without
 * `=`, which Twisted dropped, is by id.
 */
const byName = (args: TwistedArgs) => args.has('byname');

/** An id in the path: digits naming an id a row can have; anything else names no row. */
const parseId = (text: string): number | null =>
  /^\d+$/.test(text) && isRowId(Number(text)) ? Number(text) : null;

/**
 * PUT's and DELETE's 404 for an id no row has. Without `id` where the server could not read one
 * from the path (escapes that are not UTF-8, over 512 characters): the path is not echoed back.
 */
const noSuchId = (reply: FastifyReply, table: string, id?: string) =>
  sendJson(reply, 404, {
    success: false,
    error: `there is no ${table} row with ${id === undefined ? 'that id' : `id ${JSON.stringify(id)}`}`,
  });

/** `/api/<table>/<id>` when the router cannot take the id: a GET's missing row, or `noSuchId`. */
const noRow = (table: string) => (reply: FastifyReply) =>
  reply.request.method === 'GET' || reply.request.method === 'HEAD'
    ? sendJson(reply, 404, {})
    : noSuchId(reply, table);

const tableError = (table: string) => ({
  success: false,
  error: `unknown table ${JSON.stringify(table)}; the tables are ${Object.keys(API_TABLES).join(', ')}`,
});

function sendWrite(reply: FastifyReply, result: WriteResult, created?: ApiTable) {
  if (!result.ok) return sendJson(reply, result.status, { success: false, error: result.error });
  if (!created) return sendJson(reply, 200, { success: true });
  return sendJson(reply, 201, { success: true, [API_TABLES[created].id]: result.id });
}

function logAllocation(logger: Logger, name: string, a: Allocation): void {
  if (a.kind === 'allocated')
    logger.info(
      `allocated '${name}' to '${a.master!.nickname}' (${a.master!.fqdn}:${a.master!.pb_port})`,
    );
  else if (a.kind === 'disabled') logger.info(`slave '${name}' is disabled; no allocation made`);
  else logger.info(`rejecting slave '${name}'`);
}

/** What `/gettac` answers for every path that names no slave it can allocate. */
const NO_ALLOCATION = 'no allocation available';
const noAllocation = (reply: FastifyReply) => sendText(reply, 404, NO_ALLOCATION);

/** What `/api/gettac` answers for every name that names no slave it can allocate. */
const noSlave = (reply: FastifyReply) => sendJson(reply, 404, { success: false });

/**
 * What `/api/gettac` answers for a path with no name at all (`/api/gettac`, `/api/gettac/`,
 * `/api/gettac//x`): a 404 as for a miss, in the shape of its other errors, saying what to ask.
 */
const noName = (reply: FastifyReply) =>
  sendJson(reply, 404, { success: false, error: 'no slave name: ask for /api/gettac/<slave>' });

function registerTac(app: FastifyInstance, service: Slavealloc, logger: Logger): void {
  const serveTac = async (
    req: FastifyRequest<{ Params: { slave: string } }>,
    reply: FastifyReply,
  ) => {
    // Some Windows slaves ask in capitals; names are stored lowercase.
    const name = asciiLower(req.params.slave);
    if (name === '') return noAllocation(reply);
    let allocation: Allocation;
    try {
      allocation = await service.gettac(name, true);
    } catch (err) {
      logger.error(`allocating '${name}' failed: ${(err as Error).message}`);
      return sendText(reply, 500, `error processing request: ${(err as Error).message}`);
    }
    logAllocation(logger, name, allocation);
    if (allocation.kind === 'unknown' || allocation.kind === 'no-master')
      return noAllocation(reply);
    return sendText(reply, 200, allocation.tac);
  };
  app.get('/gettac/:slave', serveTac);
  // The original's slave resource was a Twisted leaf: whatever path follows the name
  // (`/gettac/<slave>/`, `/gettac/<slave>/buildbot.tac`) is ignored and the slave gets its tac.
  // runslave.py's --allocator-url is any URL with SLAVE in it, so a slave may send either.
  app.get('/gettac/:slave/*', serveTac);
  // Every other path under /gettac names no slave (`/gettac`, `/gettac/`, `/gettac//x`); one the
  // router cannot take (`/gettac/%FF`, a name over 512 characters) gets this through `misses`.
  app.get('/gettac', async (_req, reply) => noAllocation(reply));
  app.get('/gettac/', async (_req, reply) => noAllocation(reply));

  const previewTac = async (
    req: FastifyRequest<{ Params: { slave: string } }>,
    reply: FastifyReply,
  ) => {
    const name = req.params.slave;
    if (name === '') return noName(reply);
    let allocation: Allocation;
    try {
      allocation = await service.gettac(name, false);
    } catch (err) {
      logger.error(`/api/gettac for '${name}' failed: ${(err as Error).message}`);
      return sendJson(reply, 500, { success: false, error: (err as Error).message });
    }
    if (allocation.kind === 'unknown' || allocation.kind === 'no-master') return noSlave(reply);
    return sendJson(reply, 200, { success: true, tac: allocation.tac });
  };
  app.get('/api/gettac/:slave', previewTac);
  // A Twisted leaf too (api.py's BuildbotTacResource): what follows the name is ignored.
  app.get('/api/gettac/:slave/*', previewTac);
  app.get('/api/gettac', async (_req, reply) => noName(reply));
  app.get('/api/gettac/', async (_req, reply) => noName(reply));
}

/**
 * The `<table>` of `/api/<table>` and `/api/<table>/<id>`: a name as the tables have (lower-case
 * letters and `_`), so that an unknown one still gets `tableError`, but not a path another API
 * mounted under `/api` owns: with taskotron on, `PUT /api/v2.0/results` is ResultsDB's 405, not
 * slavealloc's "unknown table", and its `Allow` header lists ResultsDB's methods only. Nor
 * `gettac`, whose routes take GET only: `PUT /api/gettac/<slave>` is the server's 405 with
 * `Allow: GET, HEAD, OPTIONS`, not `unknown table "gettac"`.
 */
const TABLE = ':table(^(?!gettac$)[a-z_]+$)';

function registerApi(app: FastifyInstance, service: Slavealloc, links: readonly PageLink[]): void {
  // sendPage: the page policy, without which the data policy would refuse the page its style.
  const docs = async (_req: unknown, reply: FastifyReply) =>
    sendPage(reply.header('cache-control', 'no-cache'), apiDocs(links));
  app.get('/api', docs);
  app.get('/api/', docs);

  app.get<{ Params: { table: string } }>(`/api/${TABLE}`, async (req, reply) => {
    const { table } = req.params;
    if (!isApiTable(table)) return sendJson(reply, 404, tableError(table));
    if (table !== 'slaves') return sendJson(reply, 200, await service.list(table));
    const filters = slaveFilters(twistedArgs(req.url));
    if (typeof filters === 'string')
      return sendJson(reply, 400, { success: false, error: filters });
    return sendJson(reply, 200, await service.listSlaves(filters));
  });

  type RowRequest = FastifyRequest<{
    Params: { table?: string; id: string };
    Body: unknown;
  }>;
  const getRow = (table: ApiTable) => async (req: RowRequest, reply: FastifyReply) => {
    const { id } = req.params;
    const numeric = parseId(id);
    const key = byName(twistedArgs(req.url))
      ? { name: id }
      : numeric === null
        ? null
        : { id: numeric };
    const row = key && (await service.get(table, key));
    return row ? sendJson(reply, 200, row) : sendJson(reply, 404, {});
  };
  const putRow = (table: ApiTable) => async (req: RowRequest, reply: FastifyReply) => {
    if (byName(twistedArgs(req.url)))
      return sendJson(reply, 400, {
        success: false,
        error: 'PUT takes the row id, not ?byname=1',
      });
    const numeric = parseId(req.params.id);
    if (numeric === null) return noSuchId(reply, table, req.params.id);
    return sendWrite(reply, await service.update(table, numeric, req.body, 'api'));
  };
  const inTable = (answer: typeof getRow) => async (req: RowRequest, reply: FastifyReply) => {
    const table = req.params.table!;
    if (!isApiTable(table)) return sendJson(reply, 404, tableError(table));
    return answer(table)(req, reply);
  };
  app.get(`/api/${TABLE}/:id`, inTable(getRow));
  app.put(`/api/${TABLE}/:id`, inTable(putRow));
  // api.py's Instance was a Twisted leaf: what follows the id (or name) is ignored, by GET and
  // PUT alike. Under the tables' own prefixes only: `/api/${TABLE}/:id/*` would also take other
  // modules' paths under /api (`/api/jobs/<id>/x`) and answer them "unknown table".
  for (const table of Object.keys(API_TABLES) as ApiTable[]) {
    app.get(`/api/${table}/:id/*`, getRow(table));
    app.put(`/api/${table}/:id/*`, putRow(table));
  }

  for (const table of ['slaves', 'masters'] as const) {
    app.post<{ Body: unknown }>(`/api/${table}`, async (req, reply) =>
      sendWrite(reply, await service.create(table, req.body, 'api'), table),
    );
    app.delete<{ Params: { id: string } }>(`/api/${table}/:id`, async (req, reply) => {
      const numeric = parseId(req.params.id);
      if (numeric === null) return noSuchId(reply, table, req.params.id);
      return sendWrite(reply, await service.remove(table, numeric, 'api'));
    });
  }
}

/** A `%` that does not start an escape: Twisted's unquote (urllib's) kept it as it was. */
const LONE_PERCENT = /%(?![0-9A-Fa-f]{2})/g;

/**
 * A request under `under` that the router refused (a path that does not decode, a segment over
 * 512 characters), read as the original's Twisted resources read it: the segment after `under`
 * names the slave or row, with a `%` that starts no escape kept as it is, and the leaf resource
 * never looked at any path after it. So it is routed again as `<under><segment>/` (the query
 * kept), where the module's routes answer it, after the server's checks (Host first) as for any
 * request. What that cannot route either (a segment that is not UTF-8, or too long) gets
 * `answer`. The rewritten path has nothing after its segment and no lone `%`: rewriting it again
 * gives itself, so a request is routed again at most once.
 */
function asLeaf(under: string, answer: (reply: FastifyReply) => unknown) {
  return (reply: FastifyReply) => {
    const raw = reply.request.raw;
    const url = raw.url ?? '';
    const end = url.search(/[?#]/);
    const path = end === -1 ? url : url.slice(0, end);
    const rest = path.slice(under.length);
    const slash = rest.indexOf('/');
    const segment = slash === -1 ? rest : rest.slice(0, slash);
    const leaf = under + segment.replace(LONE_PERCENT, '%25') + (slash === -1 ? '' : '/');
    if (leaf === path || percentDecoded(leaf) === null) return answer(reply);
    raw.url = leaf + (end === -1 ? '' : url.slice(end));
    reply.server.routing(raw, reply.raw);
  };
}

/**
 * slavealloc's HTTP interface (docs/slavealloc.md): `/gettac/<slave>` for the slaves, `/api/…`
 * for the CLI and the UI. The server checks the bearer token on PUT, POST and DELETE.
 */
export function slaveallocRoutes(service: Slavealloc, logger: Logger): RouteModule {
  return {
    name: 'slavealloc',
    register(app, { pages }) {
      registerTac(app, service, logger);
      registerApi(app, service, pages);
      registerUi(app, service, pages);
    },
    dashboard: DASHBOARD,
    // A slave name or row id the router cannot take (escapes that are not UTF-8, over 512
    // characters) names nothing either. A method the routes there do not take (`PUT
    // /api/gettac/%FF`) never gets here: the server answers it 405 as on any path.
    misses: [
      { under: '/gettac/', answer: asLeaf('/gettac/', noAllocation) },
      { under: '/api/gettac/', answer: asLeaf('/api/gettac/', noSlave) },
      ...Object.keys(API_TABLES).map((table) => ({
        under: `/api/${table}/`,
        answer: asLeaf(`/api/${table}/`, noRow(table)),
      })),
    ],
  };
}
