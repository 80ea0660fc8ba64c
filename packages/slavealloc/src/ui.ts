import { html, Html, page, type PageLink } from '@loopabull/server/html';
import type { ApiRow } from './rows.js';
import { LOOKUPS, type LookupTable } from './tables.js';

/** The pages' entry in the navigation and the RouteModule. */
export const DASHBOARD = { title: 'Slaves', path: '/ui/slavealloc' };
export const SCRIPT_PATH = '/ui/slavealloc/app.js';

/**
 * The pages change data with their own script, from this server only; like every other page
 * (docs/security.md) they cannot be framed, nor have their relative URLs rebased.
 */
export const UI_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = `.muted{color:#777}.off td{background:#f4f4f4;color:#777}
input.notes{width:14rem}#status{min-height:1.4em;font-weight:bold}form{margin:.5rem 0}`;

export interface SlavesView {
  slaves: ApiRow[];
  masters: ApiRow[];
  options: { environment: string[]; purpose: string[]; pool: string[] };
  filter: Record<'environment' | 'purpose' | 'pool' | 'enabled' | 'q', string>;
  /** Each lookup table's rows and tac_templates, for the edit forms. */
  lookups: Record<LookupTable | 'tac_templates', ApiRow[]>;
}

/** A slave's editable columns (the original's PUT whitelist, less what the row's buttons set). */
const SLAVE_EDIT: Array<[LookupTable, string]> = [
  ['distros', 'distro'],
  ['bitlengths', 'bitlength'],
  ['purposes', 'purpose'],
  ['datacenters', 'datacenter'],
  ['trustlevels', 'trustlevel'],
  ['environments', 'environment'],
  ['pools', 'pool'],
];

/**
 * A `<select data-field>` of a lookup table's rows, the row's current one chosen; `none` labels
 * a first, empty choice (sent as null) for a column that may be unset.
 */
function lookupSelect(
  field: string,
  rows: ApiRow[],
  idColumn: string,
  current: unknown,
  none?: string,
): Html {
  return html`<select data-field="${field}">
    ${none === undefined ? '' : html`<option value="">${none}</option>`}
    ${rows.map(
      (r) =>
        html`<option value="${r[idColumn]}" ${r[idColumn] === current ? html` selected` : ''}>
          ${r.name}
        </option>`,
    )}
  </select>`;
}

/** The rest of a slave's whitelisted columns, saved together with the `edit` action. */
function slaveEdit(s: ApiRow, lookups: SlavesView['lookups']): Html {
  const fields = SLAVE_EDIT.map(
    ([table, label]) =>
      html`<label
        >${label}
        ${lookupSelect(LOOKUPS[table], lookups[table], LOOKUPS[table], s[LOOKUPS[table]])}</label
      > `,
  );
  const templates = lookupSelect(
    'custom_tplid',
    lookups.tac_templates,
    'tplid',
    s.custom_tplid,
    'default',
  );
  return html`<details class="edit">
    <summary>edit</summary>
    ${fields}
    <label>basedir <input data-field="basedir" value="${s.basedir}" /></label>
    <label>TAC template ${templates}</label>
    <button data-action="edit">save</button>
  </details>`;
}

const SUBNAV = html`<p>
  <a href="/ui/slavealloc">Slaves</a> · <a href="/ui/slavealloc/masters">Masters</a> ·
  <a href="/ui/slavealloc/silos">Silos</a> · <a href="/api">API</a>
</p>`;

/** Where a person pastes the http.token; the script keeps it in sessionStorage, for this tab only. */
const TOKEN = html`<p>
  <label
    >Token for changes
    <input id="token" type="password" size="30" autocomplete="off" placeholder="http.token"
  /></label>
  <span id="status" role="status"></span>
</p>`;

function select(name: string, values: string[], chosen: string): Html {
  const opts = values.map((v) => html`<option${v === chosen ? html` selected` : ''}>${v}</option>`);
  return html`<label
    >${name}
    <select name="${name}">
      <option value="">all</option>
      ${opts}
    </select></label
  >`;
}

function slaveRow(s: ApiRow, masters: ApiRow[], lookups: SlavesView['lookups']): Html {
  const lockOptions = masters
    .filter((m) => m.poolid === s.poolid || m.masterid === s.locked_masterid)
    .map(
      (m) =>
        html`<option
          value="${m.masterid}"
          ${m.masterid === s.locked_masterid ? html` selected` : ''}
        >
          ${m.nickname}
        </option>`,
    );
  const toggle = s.enabled
    ? html`<button data-action="disable">disable</button>`
    : html`<button data-action="enable">enable</button>`;
  return html`<tr
    data-table="slaves"
    data-id="${s.slaveid}"
    data-name="${s.name}"
    ${s.enabled ? '' : html` class="off"`}
  >
    <td>${s.name}</td>
    <td>${s.environment}</td>
    <td>${s.purpose}</td>
    <td>${s.distro}</td>
    <td>${s.bitlength}</td>
    <td>${s.datacenter}</td>
    <td>${s.trustlevel}</td>
    <td>${s.pool}</td>
    <td>${s.speed}</td>
    <td>${s.basedir}</td>
    <td>${s.current_master ?? html`<span class="muted">-</span>`}</td>
    <td class="enabled">${s.enabled ? 'yes' : 'no'}</td>
    <td>${toggle}</td>
    <td>
      <select class="lock">
        <option value="">not locked</option>
        ${lockOptions}
      </select>
      <button data-action="lock">set</button>
    </td>
    <td>
      <input class="notes" value="${s.notes ?? ''}" /> <button data-action="notes">save</button>
    </td>
    <td>${slaveEdit(s, lookups)}</td>
  </tr>`;
}

const script = html`<script src="${SCRIPT_PATH}"></script>`;

export function renderSlaves(v: SlavesView, links: readonly PageLink[]): string {
  const body = html`${SUBNAV}${TOKEN}
    <form method="get" action="/ui/slavealloc">
      ${select('environment', v.options.environment, v.filter.environment)}
      ${select('purpose', v.options.purpose, v.filter.purpose)}
      ${select('pool', v.options.pool, v.filter.pool)}
      <label
        >enabled
        <select name="enabled">
          <option value="">all</option>
          <option value="1" ${v.filter.enabled === '1' ? html` selected` : ''}>yes</option>
          <option value="0" ${v.filter.enabled === '0' ? html` selected` : ''}>no</option>
        </select></label
      >
      <label>name contains <input name="q" value="${v.filter.q}" size="12" /></label>
      <button type="submit">Show</button>
    </form>
    <p class="muted" id="count">${v.slaves.length} slaves</p>
    <table id="slaves">
      <thead>
        <tr>
          <th>Slave</th>
          <th>Environment</th>
          <th>Purpose</th>
          <th>Distro</th>
          <th>Bits</th>
          <th>DC</th>
          <th>Trust</th>
          <th>Pool</th>
          <th>Speed</th>
          <th>Basedir</th>
          <th>Current master</th>
          <th>Enabled</th>
          <th></th>
          <th>Locked to</th>
          <th>Notes</th>
          <th>Attributes</th>
        </tr>
      </thead>
      <tbody>
        ${v.slaves.map((s) => slaveRow(s, v.masters, v.lookups))}
      </tbody>
    </table>
    ${script}`;
  return page('Slave allocator: slaves', body, { links, style: STYLE });
}

export function renderMasters(
  masters: ApiRow[],
  load: Map<unknown, number>,
  lookups: Pick<SlavesView['lookups'], 'pools' | 'datacenters'>,
  links: readonly PageLink[],
): string {
  const rows = masters.map(
    (m) =>
      html`<tr
        data-table="masters"
        data-id="${m.masterid}"
        data-name="${m.nickname}"
        ${m.enabled ? '' : html` class="off"`}
      >
        <td>${m.nickname}</td>
        <td>${m.fqdn}</td>
        <td class="num">${m.pb_port}</td>
        <td class="num">${m.http_port}</td>
        <td>${m.pool}</td>
        <td>${m.datacenter}</td>
        <td class="num">${load.get(m.masterid) ?? 0}</td>
        <td class="enabled">${m.enabled ? 'yes' : 'no'}</td>
        <td>
          ${m.enabled ? html`<button data-action="disable">disable</button>` : html`<button data-action="enable">enable</button>`}
        </td>
        <td>
          <input class="notes" value="${m.notes ?? ''}" /> <button data-action="notes">save</button>
        </td>
        <td>
          <details class="edit">
            <summary>edit</summary>
            <label>nickname <input data-field="nickname" value="${m.nickname}" /></label>
            <label>fqdn <input data-field="fqdn" value="${m.fqdn}" /></label>
            <label
              >PB port <input data-field="pb_port" data-type="number" value="${m.pb_port}" size="6"
            /></label>
            <label
              >HTTP port
              <input data-field="http_port" data-type="number" value="${m.http_port}" size="6"
            /></label>
            <label>pool ${lookupSelect('poolid', lookups.pools, 'poolid', m.poolid)}</label>
            <label>DC ${lookupSelect('dcid', lookups.datacenters, 'dcid', m.dcid)}</label>
            <button data-action="edit">save</button>
          </details>
        </td>
      </tr>`,
  );
  const body = html`${SUBNAV}${TOKEN}
    <table id="masters">
      <thead>
        <tr>
          <th>Master</th>
          <th>FQDN</th>
          <th>PB port</th>
          <th>HTTP port</th>
          <th>Pool</th>
          <th>DC</th>
          <th>Slaves now</th>
          <th>Enabled</th>
          <th></th>
          <th>Notes</th>
          <th>Attributes</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    ${script}`;
  return page('Slave allocator: masters', body, { links, style: STYLE });
}

const SILO_KEYS = [
  'environment',
  'purpose',
  'distro',
  'bitlength',
  'datacenter',
  'trustlevel',
  'pool',
] as const;

/** Slaves per silo (the original's six attributes, and the pool), and how they spread over masters. */
export function renderSilos(slaves: ApiRow[], links: readonly PageLink[]): string {
  const silos = new Map<
    string,
    { key: ApiRow; total: number; enabled: number; masters: Map<string, number> }
  >();
  for (const s of slaves) {
    const id = SILO_KEYS.map((k) => String(s[k])).join('\u0000');
    let silo = silos.get(id);
    if (!silo) silos.set(id, (silo = { key: s, total: 0, enabled: 0, masters: new Map() }));
    silo.total++;
    if (s.enabled) silo.enabled++;
    const m = (s.current_master as string | null) ?? '(none)';
    silo.masters.set(m, (silo.masters.get(m) ?? 0) + 1);
  }
  const rows = [...silos.values()].map(
    (s) =>
      html`<tr>
        ${SILO_KEYS.map((k) => html`<td>${s.key[k]}</td>`)}
        <td class="num">${s.total}</td>
        <td class="num">${s.enabled}</td>
        <td>
          ${[...s.masters]
            .sort()
            .map(([m, n]) => `${m}: ${n}`)
            .join(', ')}
        </td>
      </tr>`,
  );
  const body = html`${SUBNAV}
    <table id="silos">
      <thead>
        <tr>
          ${SILO_KEYS.map((k) => html`<th>${k}</th>`)}
          <th>Slaves</th>
          <th>Enabled</th>
          <th>Current masters</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
  return page('Slave allocator: silos', body, { links, style: STYLE });
}
