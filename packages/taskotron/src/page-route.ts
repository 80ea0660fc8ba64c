import type { FastifyInstance } from 'fastify';
import { unstorableText } from '@loopabull/core/cli';
import { sendPage, type PageLink } from '@loopabull/server/html';
import type { JobLog } from './job-log.js';
import { renderTaskotronPage, TASKOTRON_PAGE } from './page.js';
import { PAGING } from './resultsdb/filters.js';
import type { ResultsStore } from './resultsdb/store.js';
import { ITEM_MAX } from './trigger.js';

/** Jobs the page lists; results of an item it shows. */
const PAGE_LIMITS = { jobs: 50, results: 200 } as const;

export interface PageSources {
  jobLog: JobLog;
  /** The built-in store; null when results go to `resultsdb_url`. */
  store: ResultsStore | null;
  /** `resultsdb_url`: where results go instead, when set. */
  remote: string | null;
  /** `artifactsUrl`: each job's artifacts are linked under it. */
  artifactsUrl: string;
  /** The navigation: every mounted page (ServerDeps.pages). */
  links: readonly PageLink[];
}

/** `GET /ui/taskotron[?item=ITEM]`: the job log and the results, read for people. */
export function registerPage(
  app: FastifyInstance,
  { jobLog, store, remote, artifactsUrl, links }: PageSources,
): void {
  app.get(TASKOTRON_PAGE.path, async (req, reply) => {
    const raw = (req.query as Record<string, unknown> | undefined)?.item;
    if (raw !== undefined && typeof raw !== 'string')
      return reply.code(400).send({ message: 'item given more than once' });
    // No job or result has one, and PostgreSQL fails on U+0000 in a query (a 500).
    const unfit = raw === undefined ? null : unstorableText(raw);
    if (unfit) return reply.code(400).send({ message: `item: ${unfit}` });
    const item = raw?.trim() ? raw.trim().slice(0, ITEM_MAX) : null;
    const jobs = await jobLog.recent(PAGE_LIMITS.jobs, item === null ? {} : { item });
    const outcomes = new Map<string, string[]>();
    if (store && jobs.length) {
      const uuids = new Set(jobs.map((j) => j.uuid));
      const reported = await store.list(
        { groups: [...uuids], data: [] },
        { page: 0, limit: PAGING.maxLimit },
      );
      for (const r of reported.rows)
        for (const uuid of r.groups.filter((g) => uuids.has(g)))
          outcomes.set(uuid, [...(outcomes.get(uuid) ?? []), r.outcome]);
    }
    const results =
      store && item !== null
        ? (
            await store.list(
              { data: [{ key: 'item', values: [item], like: false }] },
              { page: 0, limit: PAGE_LIMITS.results },
            )
          ).rows
        : null;
    return sendPage(
      reply,
      renderTaskotronPage({
        item,
        jobs,
        outcomes,
        results,
        remote,
        artifactsUrl,
        now: new Date(),
        links,
      }),
    );
  });
}
