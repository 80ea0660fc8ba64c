/**
 * `text` with its percent-escapes decoded, or null when one does not decode (a `%` that starts
 * no escape, escapes that are not UTF-8): `decodeURIComponent` throws a URIError that names
 * neither the text nor where it came from, so each caller says that in its own words.
 */
export function percentDecoded(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
