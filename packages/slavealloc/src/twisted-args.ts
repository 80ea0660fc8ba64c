/**
 * The query of a request as the original's Twisted server read it into `request.args` (pure):
 * `http.parse_qs(query, keep_blank_values=1)`. Pairs are split at `&` and at `;`; a pair without
 * `=` is dropped (`?byname` is no `byname`), an empty value kept (`?byname=` is one); `+` is a
 * space, then `%XX` escapes are decoded (one that is no escape stays as it is).
 */
import { unescape } from 'node:querystring';

export type TwistedArgs = ReadonlyMap<string, readonly string[]>;

/**
 * Python 2's `urllib.unquote` of the text after `+` became a space, read as UTF-8: Node's
 * `unescape` likewise leaves a `%` that starts no escape as it is.
 */
const unquotePlus = (text: string): string => unescape(text.replaceAll('+', ' '));

/** `request.args` of `url` (its path is not looked at). */
export function twistedArgs(url: string): TwistedArgs {
  const args = new Map<string, string[]>();
  const at = url.indexOf('?');
  if (at < 0) return args;
  for (const item of url.slice(at + 1).split(/[&;]/)) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = unquotePlus(item.slice(0, eq));
    const list = args.get(key) ?? [];
    args.set(key, list);
    list.push(unquotePlus(item.slice(eq + 1)));
  }
  return args;
}
