import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendPage, type ServerDeps } from '@loopabull/server';
import { pythonJsonDumps } from './compat-json.js';
import { CompatListCache } from './compat-list-cache.js';
import { parseFilters } from './list-filters.js';
import { renderDashboard } from './dashboard.js';
import { MachineStore } from './machine-store.js';
import { machinesJson, withStale } from './machine-view.js';
import { hardwareSettings } from './section.js';
import { unknownMachine, unknownMachineJson } from './unknown-machine.js';

/**
 * The original's bytes and its bare `application/json`. A Buffer, because Fastify appends
 * `; charset=utf-8` to a JSON type sent as a string.
 */
const sendJson = (reply: FastifyReply, body: Buffer) =>
  reply.code(200).header('content-type', 'application/json').send(body);

/** `/machines`, `/machines/<id>` and the page, as `hardwareRoutes` (mount.ts) mounts them. */
export function registerHardwareRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const store = new MachineStore(deps.redis);
  const compatList = new CompatListCache(deps.redis, store);
  const staleAfter = () => hardwareSettings(deps.config).stale_after;

  // The original releng-hardware API, byte for byte (docs/hardware.md, "The original API").
  app.get('/machines', async (_req, reply) => sendJson(reply, await compatList.body()));

  app.get<{ Params: { id: string } }>('/machines/:id', async (req, reply) => {
    const lastseen = await store.lastseen(req.params.id);
    // The original's `if not lastseen`: an empty stored value (its preload wrote any) is unknown too.
    if (!lastseen) return unknownMachine(reply);
    return sendJson(reply, Buffer.from(pythonJsonDumps(lastseen), 'utf8'));
  });

  // A path under /machines/ that is no id (`/machines/<id>/`, `/machines/a/b`) names no machine
  // either: the same 404 as any unknown one, not the router's, which echoes the path.
  app.get('/machines/*', async (_req, reply) => unknownMachine(reply));

  app.get('/api/hardware/machines', async (req, reply) => {
    const f = parseFilters(req.query);
    if (!f.ok) return reply.code(400).send({ error: f.error });
    const machines = await store.list({ datacenter: f.datacenter, staleSeconds: f.staleSeconds });
    return machinesJson(machines, f.staleSeconds ?? staleAfter());
  });

  app.get<{ Params: { id: string } }>('/api/hardware/machines/:id', async (req, reply) => {
    const machine = await store.get(req.params.id);
    if (!machine) return unknownMachineJson(reply, req.params.id);
    return withStale(machine, staleAfter());
  });

  app.get('/api/hardware/machines/*', async (_req, reply) => unknownMachineJson(reply));

  app.get('/api/hardware/unattributed', () => store.unattributed());

  app.get('/ui/machines', async (req, reply) => {
    const f = parseFilters(req.query);
    if (!f.ok) return reply.code(400).type('text/plain; charset=utf-8').send(f.error);
    const [machines, datacenters, unattributed] = await Promise.all([
      store.list({ datacenter: f.datacenter, staleSeconds: f.staleSeconds }),
      store.datacenters(),
      store.unattributed(),
    ]);
    const html = renderDashboard({
      machines,
      unattributed,
      staleAfterSeconds: f.staleSeconds ?? staleAfter(),
      now: new Date(),
      filter: { datacenter: f.datacenter, stale: f.stale },
      datacenters,
      links: deps.pages,
    });
    return sendPage(reply, html);
  });
}
