import { escapeHtml, Html, page } from '@loopabull/server';
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
}

/** This page's entry in the navigation and in the RouteModule. */
export const DASHBOARD = { title: 'Hardware', path: '/ui/machines' };

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

function machineRow(m: MachineRecord, staleAfter: number): string {
  const stale = isStale(m, staleAfter);
  const exception = m.last_exception_reason
    ? `${escapeHtml(m.last_exception_reason)} <span class="muted">${escapeHtml(m.last_exception_at)}</span>`
    : '<span class="muted">none</span>';
  const c = m.counts;
  return `<tr${stale ? ' class="stale"' : ''}>
<td><a href="/api/hardware/machines/${escapeHtml(encodeURIComponent(m.id))}">${escapeHtml(m.machine)}</a>${stale ? ' <span class="tag">stale</span>' : ''}</td>
<td>${m.lastseen ? `<code>${escapeHtml(m.lastseen)}</code>` : '<span class="muted">-</span>'}</td>
<td>${escapeHtml(sinceSeen(m))}</td>
<td>${escapeHtml(m.last_state ?? '-')}</td>
<td>${m.last_task_id ? `<code>${escapeHtml(m.last_task_id)}</code>` : '-'}</td>
<td>${escapeHtml(m.last_worker_type ?? '-')}</td>
<td>${exception}</td>
<td>${c.running} / ${c.completed} / ${c.failed} / ${c.exception}</td>
</tr>`;
}

function datacenterTable(dc: string, machines: MachineRecord[], staleAfter: number): string {
  const stale = countStale(machines, staleAfter);
  return `<h2>${escapeHtml(dc)} <span class="muted">${machines.length} machines, ${stale} stale</span></h2>
<table>
<thead><tr><th>Machine</th><th>Last seen (UTC)</th><th>Since</th><th>Last state</th><th>Last task</th><th>Worker type</th><th>Last exception</th><th>Running / completed / failed / exception</th></tr></thead>
<tbody>
${machines.map((m) => machineRow(m, staleAfter)).join('\n')}
</tbody>
</table>`;
}

function unattributedSection(u: DashboardInput['unattributed']): string {
  if (u.total === 0) return '';
  const rows = u.recent
    .map(
      (r) =>
        `<tr><td><code>${escapeHtml(r.at)}</code></td><td>${escapeHtml(r.state)}</td><td>${escapeHtml(r.reason ?? '-')}</td><td><code>${escapeHtml(r.task_id ?? '-')}</code></td><td>${escapeHtml(r.worker_type ?? '-')}</td></tr>`,
    )
    .join('\n');
  return `<h2>Messages without a worker <span class="muted">${u.total} in all, latest ${u.recent.length}</span></h2>
<table>
<thead><tr><th>At (UTC)</th><th>State</th><th>Reason</th><th>Task</th><th>Worker type</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** The `/ui/machines` page: machines by datacenter, how long since each was seen, stale ones marked. */
export function renderDashboard(input: DashboardInput): string {
  const { machines, staleAfterSeconds: staleAfter, filter } = input;
  const byDc = new Map<string, MachineRecord[]>();
  for (const m of machines) byDc.set(m.datacenter, [...(byDc.get(m.datacenter) ?? []), m]);
  const options = input.datacenters
    .map(
      (dc) =>
        `<option value="${escapeHtml(dc)}"${dc === filter.datacenter ? ' selected' : ''}>${escapeHtml(dc)}</option>`,
    )
    .join('');
  const tables = [...byDc].map(([dc, list]) => datacenterTable(dc, list, staleAfter)).join('\n');
  const body = `<p>${escapeHtml(staleSummary(machines, staleAfter))}. Times are UTC; generated ${escapeHtml(input.now.toISOString())}.</p>
<form method="get" action="/ui/machines">
<label>Datacenter <select name="datacenter"><option value="">all</option>${options}</select></label>
<label>Not seen for <input name="stale" size="6" placeholder="6h" value="${escapeHtml(filter.stale ?? '')}"></label>
<button type="submit">Show</button>
</form>
${tables || '<p class="muted">No machines.</p>'}
${unattributedSection(input.unattributed)}`;
  return page('Hardware: last seen', new Html(body), {
    refresh: 60,
    links: [DASHBOARD],
    style: STYLE,
  });
}
