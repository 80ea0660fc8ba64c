/**
 * C0 and C1 controls, DEL, and the Unicode line and paragraph separators: text from the bus
 * (topics, message ids, playbook output) that would move a terminal's cursor, recolour it or
 * start a new log line if printed raw.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- as above, less line feed and tab
const CONTROL_KEEPING_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g;

const escapeControl = (ch: string): string => {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
};

/**
 * `text` with control characters written as escapes (`\n`, `\x1b`, `\u2028`), for a terminal
 * or a log line. `keepLines` leaves line feeds and tabs alone, for multi-line output.
 */
export function printable(text: string, opts: { keepLines?: boolean } = {}): string {
  return text.replace(opts.keepLines ? CONTROL_KEEPING_LINES : CONTROL, escapeControl);
}

/** `1 rule`, `2 rules`: a count and its noun, for people. */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Aligned columns for people (commands print `--json` for scripts). */
export function formatTable(
  headers: string[],
  rows: Array<Array<string | number | null | undefined>>,
): string {
  const cells = rows.map((r) =>
    r.map((c) => (c === null || c === undefined ? '' : printable(String(c)))),
  );
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}
