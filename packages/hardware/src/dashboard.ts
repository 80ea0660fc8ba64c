import { counted } from '@loopabull/core/cli';
import { html, Html, page, type PageLink } from '@loopabull/server';
import { idWord } from './identity.js';
import { countStale, isStale, sinceSeen, staleSummary } from './machine-view.js';
import type { MachineRecord, UnattributedRecord } from './records.js';

export interface DashboardInput {
  machines: MachineRecord[];
  unattributed: { total: number; recent: UnattributedRecord[] };
  staleAfterSeconds: number;
  now: Date;
  filter: { datacenter?: string | undefined; stale?: string | undefined };
  /** Every datacenter known, for the filter, even when the filter hides some. */
  datacenters: string[];
  /** The navigation: every mounted page (ServerDeps.pages). */
  links: readonly PageLink[];
}

const STYLE = `
table{width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;font-size:.9rem}
th{background:#f4f4f4}
tr.stale td{background:#fde8e8}
.tag{font-size:.75rem;padding:.05rem .35rem;border-radius:.2rem;background:#c62828;color:#fff}
.muted{color:#777}
form{margin-bottom:1rem}
code{font-size:.85rem}
`;

// The templates below are `prettier-ignore`: prettier would lay the markup out anew, and the page's
// bytes (spaces inside tags and between them included) are what its users and tests know.

/** Rows one a line, as the page has always been written (`html` joins a list with nothing). */
const lines = (parts: Html[]) => new Html(parts.join('\n'));

function machineRow(m: MachineRecord, staleAfter: number): Html {
  const stale = isStale(m, staleAfter);
  const exception = m.last_exception_reason
    ? html`${m.last_exception_reason} <span class="muted">${m.last_exception_at}</span>`
    : html`<span class="muted">none</span>`;
  const c = m.counts;
  // prettier-ignore
  return html`<tr${stale ? html` class="stale"` : ''}>
<td><a href="/api/hardware/machines/${encodeURIComponent(m.id)}">${m.machine}</a>${stale ? html` <span class="tag">stale</span>` : ''}</td>
<td>${m.lastseen ? html`<code>${m.lastseen}</code>` : html`<span class="muted">-</span>`}</td>
<td>${sinceSeen(m)}</td>
<td>${m.last_state ?? '-'}</td>
<td>${m.last_task_id ? html`<code>${m.last_task_id}</code>` : '-'}</td>
<td>${m.last_worker_type ?? '-'}</td>
<td>${exception}</td>
<td>${c.running} / ${c.completed} / ${c.failed} / ${c.exception}</td>
</tr>`;
}

function datacenterTable(dc: string, machines: MachineRecord[], staleAfter: number): Html {
  // prettier-ignore
  return html`<h2>${dc} <span class="muted">${counted(machines.length, 'machine')}, ${countStale(machines, staleAfter)} stale</span></h2>
<table>
<thead><tr><th>Machine</th><th>Last seen (UTC)</th><th>Since</th><th>Last state</th><th>Last task</th><th>Worker type</th><th>Last exception</th><th>Running / completed / failed / exception</th></tr></thead>
<tbody>
${lines(machines.map((m) => machineRow(m, staleAfter)))}
</tbody>
</table>`;
}

function unattributedSection(u: DashboardInput['unattributed']): Html {
  if (u.total === 0) return html``;
  // prettier-ignore
  const rows = u.recent.map(
    (r) =>
      html`<tr><td><code>${r.at}</code></td><td>${r.state}</td><td>${r.reason ?? '-'}</td><td><code>${r.task_id ?? '-'}</code></td><td>${r.worker_type ?? '-'}</td></tr>`,
  );
  // prettier-ignore
  return html`<h2>Messages without a worker <span class="muted">${u.total} in all, latest ${u.recent.length}</span></h2>
<table>
<thead><tr><th>At (UTC)</th><th>State</th><th>Reason</th><th>Task</th><th>Worker type</th></tr></thead>
<tbody>
${lines(rows)}
</tbody>
</table>`;
}

/** The `/ui/machines` page: machines by datacenter, how long since each was seen, stale ones marked. */
export function renderDashboard(input: DashboardInput): string {
  const { machines, staleAfterSeconds: staleAfter, filter } = input;
  const byDc = new Map<string, MachineRecord[]>();
  for (const m of machines) {
    const list = byDc.get(m.datacenter);
    if (list) list.push(m);
    else byDc.set(m.datacenter, [m]);
  }
  // Only what the filter takes: a datacenter another program wrote that is no id (or empty) is
  // shown with its machines, but choosing it would be refused.
  // prettier-ignore
  const options = input.datacenters.filter((dc) => idWord(dc)).map(
    (dc) =>
      html`<option value="${dc}"${dc === filter.datacenter ? html` selected` : ''}>${dc}</option>`,
  );
  const tables = [...byDc].map(([dc, list]) => datacenterTable(dc, list, staleAfter));
  // prettier-ignore
  const body = html`<p>${staleSummary(machines, staleAfter)}. Times are UTC; generated ${input.now.toISOString()}.</p>
<form method="get" action="/ui/machines">
<label>Datacenter <select name="datacenter"><option value="">all</option>${options}</select></label>
<label>Not seen for <input name="stale" size="6" placeholder="6h" value="${filter.stale ?? ''}"></label>
<button type="submit">Show</button>
</form>
${tables.length ? lines(tables) : html`<p class="muted">No machines.</p>`}
${unattributedSection(input.unattributed)}`;
  return page('Hardware: last seen', body, {
    refresh: 60,
    links: input.links,
    style: STYLE,
  });
}
