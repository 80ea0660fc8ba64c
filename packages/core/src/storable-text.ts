/** In a `u` regex a surrogate pair is one code point: only a half without its pair matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why `text` cannot be stored as it was sent, or null. PostgreSQL's text types cannot hold a NUL
 * character (U+0000) and fail the statement, even one that only compares with it. A lone
 * surrogate (JSON's `"\ud800"`, half of a UTF-16 pair) is no character: SQLite keeps invalid
 * UTF-8, the drivers of the others write U+FFFD, so that texts sent apart would read back as one.
 */
export function unstorableText(text: string): string | null {
  if (text.includes('\0')) return 'must not contain a NUL character (U+0000)';
  const lone = LONE_SURROGATE.exec(text)?.[0];
  if (lone === undefined) return null;
  return `must not contain a lone surrogate (\\u${lone.charCodeAt(0).toString(16)}), which is no character`;
}
