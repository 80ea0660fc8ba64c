import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PageLink } from '@loopabull/server/html';
import type { Slavealloc } from './service.js';
import { LOOKUPS, type LookupTable } from './tables.js';
import {
  renderMasters,
  renderSilos,
  renderSlaves,
  SCRIPT_PATH,
  UI_CSP,
  type SlavesView,
} from './ui.js';

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, key: string) => {
  const v = q[key];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

const sendUi = (reply: FastifyReply, text: string) =>
  reply.type('text/html; charset=utf-8').header('content-security-policy', UI_CSP).send(text);

/** Every lookup table's rows and the tac templates, for the pages' edit forms. */
async function lookupRows(service: Slavealloc): Promise<SlavesView['lookups']> {
  const tables = [...(Object.keys(LOOKUPS) as LookupTable[]), 'tac_templates'] as const;
  return Object.fromEntries(
    await Promise.all(tables.map(async (t) => [t, await service.list(t)] as const)),
  ) as SlavesView['lookups'];
}

/**
 * The web UI: slaves (filters and actions), masters, silos; changes go through `/api` with the
 * token. `links`: the navigation, every mounted page (ServerDeps.pages).
 */
export function registerUi(
  app: FastifyInstance,
  service: Slavealloc,
  links: readonly PageLink[],
): void {
  const script = readFileSync(new URL('../www/slavealloc.js', import.meta.url));
  app.get(SCRIPT_PATH, async (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script),
  );

  app.get<{ Querystring: Query }>('/ui/slavealloc', async (req, reply) => {
    const filter = {
      environment: one(req.query, 'environment'),
      purpose: one(req.query, 'purpose'),
      pool: one(req.query, 'pool'),
      enabled: one(req.query, 'enabled'),
      q: one(req.query, 'q'),
    };
    const listed = await service.listSlaves({
      environments: filter.environment ? [filter.environment] : [],
      purposes: filter.purpose ? [filter.purpose] : [],
      pools: filter.pool ? [filter.pool] : [],
      enabled: filter.enabled === '1' ? true : filter.enabled === '0' ? false : undefined,
    });
    const lookups = await lookupRows(service);
    const names = (table: 'environments' | 'purposes' | 'pools') =>
      lookups[table].map((r) => String(r.name));
    return sendUi(
      reply,
      renderSlaves(
        {
          slaves: filter.q ? listed.filter((s) => String(s.name).includes(filter.q)) : listed,
          masters: await service.list('masters'),
          options: {
            environment: names('environments'),
            purpose: names('purposes'),
            pool: names('pools'),
          },
          filter,
          lookups,
        },
        links,
      ),
    );
  });

  app.get('/ui/slavealloc/masters', async (_req, reply) => {
    const load = new Map<unknown, number>();
    for (const s of await service.listSlaves({}))
      if (s.current_masterid !== null)
        load.set(s.current_masterid, (load.get(s.current_masterid) ?? 0) + 1);
    return sendUi(
      reply,
      renderMasters(await service.list('masters'), load, await lookupRows(service), links),
    );
  });

  app.get('/ui/slavealloc/silos', async (_req, reply) =>
    sendUi(reply, renderSilos(await service.listSlaves({}), links)),
  );
}
