import { z } from 'zod';
import { sectionOf, type Config } from '@loopabull/core';

/** The `hardware:` section of the configuration. */
export const hardwareSection = z
  .object({
    enabled: z.boolean().default(true),
    /** Only this provisioner's machines are tracked (the routing key's sixth word). */
    provisioner: z.string().min(1).default('releng-hardware'),
    /** Machines not seen for longer than this many seconds are shown as stale. */
    stale_after: z
      .number()
      .positive()
      .default(6 * 3600),
  })
  .strict();

export type HardwareSection = z.output<typeof hardwareSection>;

export const hardwareSettings = (config: Config): HardwareSection =>
  sectionOf<HardwareSection>(config, 'hardware');
