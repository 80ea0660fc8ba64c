import { html, page, type PageLink } from '@loopabull/server/html';
import { API_TABLES } from './tables.js';

/** `GET /api`: what the original's API root listed, the tables, and how to ask for them. */
export function apiDocs(links: readonly PageLink[]): string {
  const rows = Object.entries(API_TABLES).map(
    ([table, { id, name }]) =>
      html`<tr>
        <td><a href="/api/${table}">/api/${table}</a></td>
        <td><code>${id}</code></td>
        <td><code>${name}</code></td>
      </tr>`,
  );
  const body = html`<p>
      JSON, one array per table; <code>/api/&lt;table&gt;/&lt;id&gt;</code> one row (the table's
      columns, as the original's; the lists add the names of what slaves and masters point to),
      <code>/api/&lt;table&gt;/&lt;name&gt;?byname=1</code> by name; a missing row is 404
      <code>{}</code>. <code>/api/slaves</code> takes <code>environment</code>,
      <code>purpose</code>, <code>pool</code> (each repeatable) and <code>enabled</code>.
      <code>PUT /api/&lt;table&gt;/&lt;id&gt;</code>, <code>POST /api/slaves</code>,
      <code>POST /api/masters</code> and <code>DELETE</code> need
      <code>Authorization: Bearer &lt;http.token&gt;</code>. <code>/gettac/&lt;slave&gt;</code> is
      the slave's buildbot.tac; <code>/api/gettac/&lt;slave&gt;</code> the same without recording
      it.
    </p>
    <table>
      <thead>
        <tr>
          <th>table</th>
          <th>id</th>
          <th>name</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
  return page('slavealloc API', body, { links });
}
