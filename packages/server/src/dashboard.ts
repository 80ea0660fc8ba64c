import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  DEPTH_STATES,
  failureHeading,
  failureSummary,
  formatDuration,
  isParked,
  parkedBodySize,
  type JobSummary,
  type ParkedDetail,
  type QueueServices,
} from '@loopabull/core';
import { html, page, sendPage, type PageLink } from './html.js';

/** The answer of `/jobs/<id>` to an id that names no job. */
export const unknownJobPage = (reply: FastifyReply) =>
  reply.code(404).type('text/plain').send('unknown job');

const age = (iso: string | null) =>
  iso ? `${formatDuration((Date.now() - Date.parse(iso)) / 1000)} ago` : '';

function jobTable(jobs: JobSummary[], withReason: boolean) {
  if (jobs.length === 0) return html`<p>None.</p>`;
  return html`<table>
    <tr>
      <th>job</th>
      <th>topic</th>
      <th>state</th>
      <th>attempt</th>
      <th>finished</th>
      ${withReason ? html`<th>reason</th>` : ''}
    </tr>
    ${jobs.map(
      (j) =>
        html`<tr class="${j.state === 'failed' ? 'bad' : ''}">
          <td><a href="/jobs/${encodeURIComponent(j.id)}">${j.id}</a></td>
          <td>${j.topic}</td>
          <td>${j.state}</td>
          <td class="num">${j.attempt}</td>
          <td>${age(j.finished_at)}</td>
          ${withReason ? html`<td><pre>${failureSummary(j.failed_reason)}</pre></td>` : ''}
        </tr>`,
    )}
  </table>`;
}

function fieldTable(fields: Record<string, string | number | null>) {
  return html`<table>
    ${Object.entries(fields).map(
      ([k, v]) =>
        html`<tr>
          <th>${k}</th>
          <td>${v ?? ''}</td>
        </tr>`,
    )}
  </table>`;
}

/** A message the looper parked: it never became a job, so it has a reason and a body instead. */
function parkedPage(p: ParkedDetail) {
  return html`${fieldTable({
      state: p.state,
      received: p.received_at,
      reason: p.reason,
      detail: p.detail,
      topic: p.topic,
      exchange: p.exchange,
      'routing key': p.routing_key,
      'message id': p.message_id,
    })}
    <h2>Body (${parkedBodySize(p)})</h2>
    <pre>${p.body}</pre>`;
}

/** BullMQ names a worker's connection `<prefix>:<queue>:w:<worker name>`; `loopabull worker --id` sets the name. */
const workerName = (w: Record<string, string>) => w.rawname?.split(':w:')[1] ?? w.name ?? '';

/** Workers in the order of their names, `loopabull@2` before `loopabull@10`: Redis lists them by connection. */
const byName = (workers: Array<Record<string, string>>): Array<Record<string, string>> =>
  workers
    .map((w) => ({ ...w, name: workerName(w) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));

/** Pages for people: the queue at a glance, and one job with its log. */
export function registerDashboard(
  app: FastifyInstance,
  services: QueueServices,
  links: readonly PageLink[],
): void {
  app.get('/', async (_req, reply) => {
    const [depth, workers, recent, failed, unrouted, parked] = await Promise.all([
      services.work.depth(),
      services.work.workers().then(byName),
      services.jobs.list({ state: 'completed', limit: 20 }),
      services.jobs.list({ state: 'failed', limit: 20 }),
      services.jobs.list({ state: 'unrouted', limit: 20 }),
      services.parking.list(10),
    ]);
    const body = html` <p>
        ${depth.paused ? 'Workers are PAUSED (loopabull resume).' : 'Workers are taking jobs.'}
        Oldest waiting job:
        ${depth.waiting ? `${Math.round(depth.oldest_waiting_seconds)} s` : 'none'}.
      </p>
      <table>
        <tr>
          ${DEPTH_STATES.map((s) => html`<th>${s}</th>`)}
        </tr>
        <tr>
          ${DEPTH_STATES.map((s) => html`<td class="num ${s === 'failed' && depth.failed ? 'bad' : ''}">${depth[s]}</td>`)}
        </tr>
      </table>
      <h2>Waiting by topic</h2>
      ${depth.by_topic_counted < depth.waiting ? html`<p>Among the next ${depth.by_topic_counted} to run.</p>` : ''}
      ${
        Object.keys(depth.by_topic).length
          ? html`<table>
              <tr>
                <th>topic</th>
                <th>waiting</th>
              </tr>
              ${Object.entries(depth.by_topic).map(
                ([t, n]) =>
                  html`<tr>
                    <td>${t}</td>
                    <td class="num">${n}</td>
                  </tr>`,
              )}
            </table>`
          : html`<p>Nothing waiting.</p>`
      }
      <h2>Workers (${workers.length})</h2>
      ${
        workers.length
          ? html`<table>
              <tr>
                <th>name</th>
                <th>address</th>
                <th>connected for</th>
              </tr>
              ${workers.map(
                (w) =>
                  html`<tr>
                    <td>${w.name}</td>
                    <td>${w.addr ?? ''}</td>
                    <td class="num">${w.age ?? ''} s</td>
                  </tr>`,
              )}
            </table>`
          : html`<p class="warn">No worker is connected.</p>`
      }
      <h2>Failed jobs</h2>
      ${jobTable(failed, true)}
      <h2>Recently finished</h2>
      ${jobTable(recent, false)}
      <h2>Unrouted: no automation for their topic</h2>
      ${jobTable(unrouted, false)}
      <h2>Parked messages</h2>
      ${
        parked.length
          ? html`<table>
              <tr>
                <th>message</th>
                <th>received</th>
                <th>reason</th>
                <th>exchange</th>
                <th>routing key</th>
                <th>message id</th>
                <th>detail</th>
              </tr>
              ${parked.map(
                (p) =>
                  html`<tr class="warn">
                    <td><a href="/jobs/${encodeURIComponent(p.id)}">${p.id}</a></td>
                    <td>${age(p.received_at)}</td>
                    <td>${p.reason}</td>
                    <td>${p.exchange}</td>
                    <td>${p.routing_key}</td>
                    <td>${p.message_id ?? ''}</td>
                    <td><code>${p.detail}</code></td>
                  </tr>`,
              )}
            </table>`
          : html`<p>None.</p>`
      }`;
    return sendPage(reply, page('Loopabull', body, { refresh: 5, links }));
  });

  app.get<{ Params: { id: string } }>('/jobs/:id', async (req, reply) => {
    const job = await services.jobs.showOrParked(req.params.id);
    if (!job) return unknownJobPage(reply);
    if (isParked(job))
      return sendPage(reply, page(`Parked message ${job.id}`, parkedPage(job), { links }));
    // A parked message has no log (jobs.logs says so by throwing): read it for jobs only.
    const logs = await services.jobs.logs(req.params.id);
    const body = html`${fieldTable({
        topic: job.topic,
        state: job.state,
        attempt: job.attempt,
        created: job.created_at,
        started: job.started_at,
        finished: job.finished_at,
        file: job.file,
      })}
      ${
        job.failed_reason
          ? html`<h2>${failureHeading(job.state)}</h2>
              <pre>${job.failed_reason}</pre>`
          : ''
      }
      <h2>Log</h2>
      <pre>${(logs ?? []).join('\n')}</pre>
      <h2>Event</h2>
      <pre>${JSON.stringify(job.event, null, 2)}</pre>`;
    return sendPage(reply, page(`Job ${job.id}`, body, { links }));
  });
}
