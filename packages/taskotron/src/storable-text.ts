/**
 * Text no store of the automation can hold as it is: the job log's and ResultsDB's columns on
 * every dialect. Refused with a message rather than stored changed or failed on.
 */
const NUL_REFUSED = 'must not contain a NUL character (U+0000)';
const LONE_SURROGATE_REFUSED =
  'must not contain a lone surrogate (a \\uD800 to \\uDFFF escape without its pair): it is no character';

/** A UTF-16 surrogate that is not half of a pair: the JSON string `"\ud800"` is one. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why `text` cannot be stored, or null. PostgreSQL cannot hold U+0000 in text (it fails the
 * statement); a lone surrogate is no character of UTF-8, which every dialect would store as
 * U+FFFD, so that two texts sent apart became one.
 */
export function unstorable(text: string): string | null {
  if (text.includes('\0')) return NUL_REFUSED;
  return LONE_SURROGATE.test(text) ? LONE_SURROGATE_REFUSED : null;
}
