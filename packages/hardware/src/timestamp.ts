/**
 * The original stored `datetime.utcnow().isoformat()`: naive UTC with microseconds. Existing
 * clients parse that shape, so it is the only one written to the `machines` hash.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `YYYY-MM-DDTHH:MM:SS.ffffff`, always six fraction digits. Python drops the fraction when it
 * is zero; a fixed width keeps stored values comparable as plain strings.
 */
export function formatLastseen(epochMicros: number): string {
  const ms = Math.floor(epochMicros / 1000);
  const micros = epochMicros - ms * 1000;
  const d = new Date(ms);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return `${date}T${time}.${pad(d.getUTCMilliseconds(), 3)}${pad(micros, 3)}`;
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Epoch microseconds of a naive-UTC `isoformat()` value (with or without fraction) or of an
 * ISO 8601 value with `Z` or an offset, as Taskcluster sends; null for anything else.
 * Fractions beyond microseconds are truncated, as Python would.
 */
export function parseTimestamp(text: string): number | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [year, month, day, hour, minute, second] = fields;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC rolls 2019-02-30 over to March; a value that does not round-trip is not a date.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return null;
  }
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    const [offHours, offMinutes] = [Number(digits.slice(1, 3)), Number(digits.slice(3, 5))];
    // `+99:99` is no offset (Python refuses a day or more): taken as one, it would move the time by days.
    if (offHours > 23 || offMinutes > 59) return null;
    offsetMinutes = sign * (offHours * 60 + offMinutes);
  }
  const micros = Number(frac.padEnd(6, '0').slice(0, 6));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

/** A value in the stored shape, whatever shape it came in; null if it is not a timestamp. */
export function normalizeTimestamp(text: string): string | null {
  const micros = parseTimestamp(text);
  return micros === null ? null : formatLastseen(micros);
}

export const dateToMicros = (date: Date): number => date.getTime() * 1000;
