import type { FastifyReply } from 'fastify';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): one in a
 * value would reorder the page's own text after it (an item ending in U+202E turns "2 newest
 * first" into "tsrif tsewen 2"), so each is shown as its code point instead.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
const codePoint = (c: string) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase()}>`;

/** Everything shown on a page comes from messages or job output: escape all of it. */
export const escapeHtml = (value: unknown): string =>
  String(value ?? '')
    .replace(BIDI_CONTROLS, codePoint)
    .replace(/[&<>"']/g, (c) => ESCAPES[c]!);

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

/**
 * Values come from messages, job output and other services: an id, a topic or a failure line
 * thousands of characters long without a space must wrap in its cell, not widen the page to tens
 * of thousands of pixels. `anywhere` (unlike `break-word`) lets a table cell shrink to fit; the
 * minimum widths keep short words such as a state whole.
 */
const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
td,h1,h2{overflow-wrap:anywhere}td{min-width:4rem}td pre{white-space:pre-wrap;min-width:20rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.bad{background:#fde2e2}.warn{background:#fff4d6}
pre{background:#f7f7f7;padding:.5rem;overflow:auto;max-height:40rem}nav a{margin-right:1rem}code{font-size:90%}`;

/** A page for people, in the navigation of every page. */
export interface PageLink {
  title: string;
  path: string;
}

export interface PageOptions {
  /** Reload every so many seconds. */
  refresh?: number;
  /**
   * Navigation beside Queue and Metrics: every mounted automation's page (`ServerDeps.pages`),
   * the same on every page whoever serves it, so that one can go from any page to any other.
   */
  links?: readonly PageLink[];
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
