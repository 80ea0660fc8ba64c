import { html, Html, page, type PageLink } from '@loopabull/server/html';
import type { LoggedJob } from './job-log.js';
import { CHECK_OUTCOMES, outcomeSummary } from './outcomes.js';
import { joinUrl } from './join-url.js';
import type { StoredResult } from './resultsdb/api.js';

/** This page's entry in the navigation and in the RouteModule. */
export const TASKOTRON_PAGE = { title: 'Taskotron', path: '/ui/taskotron' };

export interface PageInput {
  /** The item searched for, if any. */
  item: string | null;
  /** The newest jobs, of the item when one is searched for. */
  jobs: LoggedJob[];
  /** Outcomes of the results each job reported (its ResultsDB group), by job uuid. */
  outcomes: ReadonlyMap<string, string[]>;
  /** The item's results, newest first; null without a search or with a remote ResultsDB. */
  results: StoredResult[] | null;
  /** `taskotron.resultsdb_url`, when results are kept there. */
  remote: string | null;
  artifactsUrl: string;
  now: Date;
  /** The navigation: every mounted page (ServerDeps.pages). */
  links: readonly PageLink[];
}

const STYLE = `
td.FAILED,td.NOT_OK,td.CRASHED,td.ABORTED{background:#fde2e2}
td.NEEDS_INSPECTION{background:#fff4d6}
td.PASSED,td.OK{background:#e3f4e3}
.muted{color:#777}
form{margin-bottom:1rem}
`;

/** Only web links become links: a result's ref_url is whatever its poster sent. */
const link = (url: string | null, text: string) =>
  url && /^https?:\/\//i.test(url) ? html`<a href="${url}">${text}</a>` : html`${text}`;
const lines = (parts: Html[]) => new Html(parts.join('\n'));
const itemLink = (item: string) =>
  html`<a href="${TASKOTRON_PAGE.path}?item=${encodeURIComponent(item)}">${item}</a>`;
const time = (iso: string) =>
  html`<code>${iso.replace('T', ' ').replace(/\.\d+Z?$|Z$/, '')}</code>`;

/** Where a job stands: scheduled, running, how the runner said it ended, or parked by the queue. */
function execution(j: LoggedJob): Html {
  if (j.execution_status)
    return html`<td class="${j.execution_status}">
      ${j.execution_status}${j.parked_at ? ' (parked)' : ''}${j.status ? html` <span class="muted">${j.status}</span>` : ''}
    </td>`;
  return html`<td>${j.started_at ? 'running' : 'scheduled'}</td>`;
}

function outcomeCell(outcomes: string[] | undefined): Html {
  if (!outcomes?.length) return html`<td class="muted">-</td>`;
  const worst = [...CHECK_OUTCOMES].reverse().find((o) => outcomes.includes(o));
  return html`<td class="${worst ?? ''}">${outcomeSummary(outcomes)}</td>`;
}

/** The task, and for a discovered check the repository and branch it is a path in. */
function task(j: LoggedJob): Html {
  if (j.git_repo === undefined) return html`${j.taskname}`;
  const branch = j.git_branch ? html`branch <code>${j.git_branch}</code>` : html`default branch`;
  const at = j.git_commit
    ? html` at <code title="${j.git_commit}">${j.git_commit.slice(0, 12)}</code>`
    : '';
  // prettier-ignore
  return html`${j.taskname} <span class="muted">in <code>${j.git_repo}</code> ${branch}${at}</span>`;
}

function jobRow(j: LoggedJob, input: PageInput): Html {
  const trigger = html`${j.trigger.topic}${j.trigger.rules.length ? html` <span class="muted">rules: ${j.trigger.rules.join(', ')}</span>` : ''}`;
  // prettier-ignore
  return html`<tr><td>${time(j.scheduled_at)}</td><td>${itemLink(j.item)} <span class="muted">${j.item_type}</span></td><td>${task(j)}</td><td>${j.arch}</td><td>${trigger}</td>${execution(j)}${outcomeCell(input.outcomes.get(j.uuid))}<td>${link(joinUrl(input.artifactsUrl, j.uuid) + '/', 'artifacts')} <span class="muted"><code>${j.uuid}</code></span></td></tr>`;
}

function jobsTable(input: PageInput): Html {
  const title = input.item ? html`Jobs for ${input.item}` : html`Recent jobs`;
  if (!input.jobs.length)
    return html`<h2>${title}</h2>
      <p class="muted">No jobs.</p>`;
  // prettier-ignore
  return html`<h2>${title} <span class="muted">${input.jobs.length} newest</span></h2>
<table>
<thead><tr><th>Scheduled (UTC)</th><th>Item</th><th>Task</th><th>Arch</th><th>Trigger</th><th>Execution</th><th>Outcome</th><th>Artifacts</th></tr></thead>
<tbody>
${lines(input.jobs.map((j) => jobRow(j, input)))}
</tbody>
</table>`;
}

function resultRow(r: StoredResult): Html {
  const value = (key: string) => r.data[key]?.join(', ') ?? '-';
  // prettier-ignore
  return html`<tr><td>${r.testcase.name}</td><td class="${r.outcome}">${r.outcome}</td><td>${value('arch')}</td><td>${value('type')}</td><td>${time(r.submit_time)}</td><td>${r.note ?? ''}</td><td>${link(r.ref_url, 'details')}</td></tr>`;
}

function resultsSection(input: PageInput): Html {
  if (!input.item) return html``;
  if (input.remote) {
    const url = joinUrl(input.remote, 'results') + `?item=${encodeURIComponent(input.item)}`;
    return html`<h2>Results for ${input.item}</h2>
      <p>Results are kept in the remote ResultsDB: ${link(url, url)}</p>`;
  }
  if (!input.results?.length)
    return html`<h2>Results for ${input.item}</h2>
      <p class="muted">No results for this item.</p>`;
  // prettier-ignore
  return html`<h2>Results for ${input.item} <span class="muted">${input.results.length} newest first</span></h2>
<table>
<thead><tr><th>Testcase</th><th>Outcome</th><th>Arch</th><th>Type</th><th>Submitted (UTC)</th><th>Note</th><th>Details</th></tr></thead>
<tbody>
${lines(input.results.map(resultRow))}
</tbody>
</table>`;
}

/** Where results are read: this server's ResultsDB API, or the remote one (none is mounted here). */
const apiLink = (remote: string | null) =>
  remote
    ? link(joinUrl(remote, 'results'), joinUrl(remote, 'results'))
    : html`<a href="/api/v2.0/results">/api/v2.0/results</a>`;

/** `/ui/taskotron`: results of an item as a Bodhi or Koji user looks them up, and the jobs. */
export function renderTaskotronPage(input: PageInput): string {
  // prettier-ignore
  const body = html`<form method="get" action="${TASKOTRON_PAGE.path}">
<label>Item <input name="item" size="50" placeholder="ansible-1.8.3-1.el7, FEDORA-2017-04459ef8cf, f41-updates-testing-pending" value="${input.item ?? ''}"></label>
<button type="submit">Look up</button>${input.item ? html` <a href="${TASKOTRON_PAGE.path}">all jobs</a>` : ''}
</form>
${resultsSection(input)}
${jobsTable(input)}
<p class="muted">Generated ${input.now.toISOString()}. The API: ${apiLink(input.remote)}.</p>`;
  return page(input.item ? `Taskotron: ${input.item}` : 'Taskotron', body, {
    links: input.links,
    style: STYLE,
  });
}
