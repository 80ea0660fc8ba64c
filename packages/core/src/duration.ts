const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Seconds in `90s`, `30m`, `6h`, `2d`, `1w`, a combination such as `1h30m`, or a bare number
 * of seconds; null if the text is none of these, or zero.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) > 0 ? Number(t) : null;
  if (!/^(\d+[smhdw])+$/.test(t)) return null;
  let total = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhdw])/g))
    total += Number(n) * UNIT_SECONDS[unit!]!;
  return total > 0 ? total : null;
}

/** The largest unit and the next one if not zero, for people: `3d 4h`, `3d`, `12m 5s`, `0s`. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const units = ['d', 'h', 'm', 's'] as const;
  const i = units.findIndex((u) => total >= UNIT_SECONDS[u]!);
  if (i === -1) return '0s';
  const big = units[i]!;
  const first = Math.floor(total / UNIT_SECONDS[big]!);
  const next = units[i + 1];
  const second = next ? Math.floor((total % UNIT_SECONDS[big]!) / UNIT_SECONDS[next]!) : 0;
  return next && second > 0 ? `${first}${big} ${second}${next}` : `${first}${big}`;
}
