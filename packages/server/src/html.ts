import type { FastifyReply } from 'fastify';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Everything shown on a page comes from messages or job output: escape all of it. */
export const escapeHtml = (value: unknown): string =>
  String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** Tagged template: interpolated values are escaped unless they are already `Html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v)
      ? v.map((x) => (x instanceof Html ? x.text : escapeHtml(x))).join('')
      : v instanceof Html
        ? v.text
        : escapeHtml(v);
    out += part + strings[i + 1]!;
  });
  return new Html(out);
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.bad{background:#fde2e2}.warn{background:#fff4d6}
pre{background:#f7f7f7;padding:.5rem;overflow:auto;max-height:40rem}nav a{margin-right:1rem}code{font-size:90%}`;

export interface PageOptions {
  /** Reload every so many seconds. */
  refresh?: number;
  /** Navigation beside Queue and Metrics: the automations' pages. */
  links?: Array<{ title: string; path: string }>;
  /** CSS the page needs beyond the common style. */
  style?: string;
}

/** A whole page with the common navigation and style. */
export function page(title: string, body: Html, opts: PageOptions = {}): string {
  const nav = [{ title: 'Queue', path: '/' }, ...(opts.links ?? [])];
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · Loopabull</title>
        ${opts.refresh ? new Html(`<meta http-equiv="refresh" content="${Number(opts.refresh)}">`) : ''}
        <style>
          ${new Html(STYLE + (opts.style ?? ''))}
        </style>
      </head>
      <body>
        <nav>
          ${nav.map((l) => html`<a href="${l.path}">${l.title}</a>`)}<a href="/metrics">Metrics</a>
        </nav>
        <h1>${title}</h1>
        ${body}
      </body>
    </html>`.text;
}

/**
 * Pages show data from bus messages: besides escaping, forbid scripts and foreign content, and
 * being framed by other sites (clickjacking).
 */
const PAGE_CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"],
  'style-src': ["'unsafe-inline'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

const PAGE_CSP = Object.entries(PAGE_CSP_DIRECTIVES)
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');

/** Sends a page made by `page()`; the policy holds even where an automation serves it alone. */
export function sendPage(reply: FastifyReply, text: string): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .send(text);
}
