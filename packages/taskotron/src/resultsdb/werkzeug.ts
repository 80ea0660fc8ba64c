/**
 * URLs as ResultsDB's Flask 3 (Werkzeug 3) matches and writes them (pure): clients follow the
 * hrefs and the prev and next links as ResultsDB wrote them, and compare them as text.
 */

/**
 * The scheme and host every URL ResultsDB writes starts with: the Host header lower-cased, without
 * the scheme's default port (Werkzeug's `get_host`, and `Map.bind` lower-cases).
 */
export const origin = (protocol: string, host: string): string =>
  `${protocol}://${host.toLowerCase().replace(protocol === 'https' ? /:443$/ : /:80$/, '')}`;

/** What Python's `quote` never encodes. */
const UNRESERVED = /^[A-Za-z0-9_.~-]$/;

/**
 * Python's `urllib.parse.quote`: each UTF-8 byte as `%XX` (upper case), but for letters, digits,
 * `_.~-` and the characters of `safe`.
 */
function quote(text: string, safe: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out +=
      byte < 0x80 && (UNRESERVED.test(c) || safe.includes(c))
        ? c
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python's `quote_plus`: as `quote`, a space written `+`. */
const quotePlus = (text: string, safe: string): string =>
  quote(text, `${safe} `).replaceAll(' ', '+');

/**
 * What a route's converter writes for a value in `url_for`: the default `string` converter
 * (`/groups/<group_id>`) and `path` (`/testcases/<path:testcase_name>`) alike leave the
 * characters a URL path segment may hold as they are, `/` included.
 */
export const pathValue = (value: string): string => quote(value, "!$&'()*+,/:;=@");

/** What `url_for` writes for the value of a query argument (`results?groups=<uuid>`). */
export const queryValue = (value: string): string => quotePlus(value, "!$'()*,/:;?@");

/** Python's `unquote_to_bytes`: `%XX` escapes (either case) as their bytes, the rest as UTF-8. */
function unquoteToBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const [, hex, other] of text.matchAll(/%([0-9A-Fa-f]{2})|([^%]+|%)/g))
    bytes.push(...(hex ? [parseInt(hex, 16)] : Buffer.from(other!, 'utf8')));
  return Uint8Array.from(bytes);
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Python's `unquote` with Werkzeug's error handler: escapes read as UTF-8; bytes that do not
 * decode stay escaped (`%FF`), a `%` without two hex digits stays as it is.
 */
function unquote(text: string): string {
  const bytes = unquoteToBytes(text);
  let out = '';
  for (let i = 0; i < bytes.length;) {
    // The shortest run from here that is one whole UTF-8 sequence, if there is one.
    let n = 0;
    let decoded: string | null = null;
    while (decoded === null && n < 4 && i + n < bytes.length) {
      n += 1;
      try {
        decoded = strict.decode(bytes.subarray(i, i + n));
      } catch {
        // Not a whole sequence (yet).
      }
    }
    out += decoded ?? `%${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
    i += decoded === null ? 1 : n;
  }
  return out;
}

/**
 * Werkzeug's `_make_unquote_part`: escapes decoded, but for runs of escapes of a character in
 * `keep`, left as they are.
 */
function unquoteExcept(value: string, keep: string): string {
  const codes = [...keep].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0'));
  const kept = new RegExp(`((?:%(?:${codes.join('|')}))+)`, 'i');
  return value
    .split(kept)
    .map((part, i) => (i % 2 ? part : unquote(part)))
    .join('');
}

/** Controls, space, `%` and DEL: `uri_to_iri` leaves them escaped everywhere. */
const ALWAYS_ESCAPED = `${String.fromCharCode(...Array.from({ length: 0x21 }, (_, i) => i))}%\x7f`;

/**
 * A path as the WSGI server hands it to Werkzeug: escapes decoded, as UTF-8 where they can be,
 * U+FFFD where they cannot.
 */
export const decodePath = (raw: string): string =>
  new TextDecoder('utf-8', { ignoreBOM: true }).decode(unquoteToBytes(raw));

/**
 * Werkzeug's `request.url` for a request to `origin` (`http://host:port`) for `url` (path and
 * query as sent), which ResultsDB's prev and next links are made of: the path decoded, then
 * written back with only controls, space, `%`, `?` and `#` escaped (`/testcases/a%2Fb` is
 * `/testcases/a/b`, `%C3%A9` is `é`), the query with escapes decoded but for those and `&`, `=`,
 * `+` (`%2C` is `,`). A query that is empty leaves out the `?`.
 */
export function requestUrl(origin: string, url: string): string {
  const at = url.indexOf('?');
  const path = decodePath(at < 0 ? url : url.slice(0, at)).replace(/^\/+/, '');
  const query = at < 0 ? '' : url.slice(at + 1);
  const iriPath = unquoteExcept(quote(path, "!$&'()*+,/:;=@%"), `${ALWAYS_ESCAPED}/?#`);
  const iriQuery = unquoteExcept(quote(query, "!$&'()*+,/:;=?@%"), `${ALWAYS_ESCAPED}&=+#`);
  return `${origin}/${iriPath}${query ? `?${iriQuery}` : ''}`;
}

/**
 * Which of ResultsDB's `/testcases/<path:testcase_name>` and `/testcases/<path:testcase_name>/results`
 * takes the rest of a path after `/testcases/` (decoded), and for which name; null for neither
 * (a 404 "Not found"). The path converter matches `[^/].*?` whole: the name starts with no `/`,
 * and Python's `.` takes no newline after its first character. `/results` at the end goes to
 * the results: the testcase `a/results` is the results of `a`.
 */
export function testcasePath(rest: string): { name: string; results: boolean } | null {
  const name = /^[^/][^\n]*$/;
  const results = rest.endsWith('/results') ? rest.slice(0, -'/results'.length) : null;
  if (results !== null && name.test(results)) return { name: results, results: true };
  return name.test(rest) ? { name: rest, results: false } : null;
}
