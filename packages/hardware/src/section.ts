import { z } from 'zod';
import { formatDuration, sectionOf, type Config } from '@loopabull/core/cli';

/**
 * The longest staleness threshold, `hardware.stale_after` or `stale`: a hundred years is longer
 * than any machine goes unseen, and much longer thresholds print as nonsense (`6.048e+25`).
 */
export const STALE_MAX_SECONDS = 36500 * 86400;

/** The `hardware:` section of the configuration. */
export const hardwareSection = z
  .object({
    enabled: z.boolean().default(true),
    /** Only this provisioner's machines are tracked (the routing key's sixth word). */
    // Compared with one word of the routing key, which cannot hold `.`, `*` or `#`: any other
    // value would make every message look like another provisioner's, silently.
    provisioner: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,128}$/,
        'must be a Taskcluster provisionerId: 1 to 128 letters, digits, - or _ (one word of the routing key)',
      )
      .default('releng-hardware'),
    /** Machines not seen for longer than this many seconds are shown as stale. */
    stale_after: z
      .number()
      .positive()
      .max(
        STALE_MAX_SECONDS,
        `must be at most ${STALE_MAX_SECONDS} seconds (${formatDuration(STALE_MAX_SECONDS)})`,
      )
      .default(6 * 3600),
  })
  .strict();

export type HardwareSection = z.output<typeof hardwareSection>;

export const hardwareSettings = (config: Config): HardwareSection =>
  sectionOf<HardwareSection>(config, 'hardware');
