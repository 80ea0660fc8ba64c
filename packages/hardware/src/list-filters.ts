import { z } from 'zod';
import { formatDuration, parseDuration } from '@loopabull/core/cli';
import { idWord } from './identity.js';
import { STALE_MAX_SECONDS } from './section.js';

/** Each filter once: a repeated one arrives as a list, which means nothing here. */
const filtersSchema = z.looseObject({
  datacenter: z.string({ error: 'datacenter given more than once' }).optional(),
  stale: z.string({ error: 'stale given more than once' }).optional(),
});
type Filters = z.output<typeof filtersSchema>;

type Parsed =
  | { ok: true; datacenter: string | undefined; staleSeconds: number | undefined; stale?: string }
  | { ok: false; error: string };

/**
 * The filters of a machine list, from the API's query or the CLI's options alike. Empty values
 * mean "no filter", as an HTML form sends them.
 */
export function parseFilters(raw: unknown): Parsed {
  const checked = filtersSchema.safeParse(raw);
  if (!checked.success) return { ok: false, error: checked.error.issues[0]!.message };
  const query: Filters = checked.data;
  const datacenter = query.datacenter || undefined;
  if (datacenter !== undefined && !idWord(datacenter))
    return { ok: false, error: `datacenter ${JSON.stringify(datacenter)} is not a datacenter id` };
  if (!query.stale) return { ok: true, datacenter, staleSeconds: undefined };
  const staleSeconds = parseDuration(query.stale);
  if (staleSeconds === null)
    return {
      ok: false,
      error: `stale ${JSON.stringify(query.stale)} is not a duration such as 90s, 30m, 6h or 2d`,
    };
  if (staleSeconds > STALE_MAX_SECONDS)
    return {
      ok: false,
      error: `stale ${JSON.stringify(query.stale)} is over the limit of ${formatDuration(STALE_MAX_SECONDS)}`,
    };
  return { ok: true, datacenter, staleSeconds, stale: query.stale };
}
