import { z } from 'zod';
import { sectionOf, type Config } from '@loopabull/core/cli';

/** The `slavealloc:` section. `{ enabled: true }` alone is a working deployment (docs/slavealloc.md). */
export const slaveallocSection = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * Environments whose slaves `GET /api/slaves` leaves out. The original hard-coded envid 5,
     * which was its "decommissioned" environment; a name survives a dump and a reload, an id
     * need not.
     */
    decommissioned_environments: z.array(z.string().min(1)).default(['decommissioned']),
    /**
     * Slaves whose name contains one of these get no idle-reboot block in their tac: the
     * original's hard-coded `panda-` and `tegra` (boards that cannot reboot themselves).
     */
    idleizer_exclude: z.array(z.string().min(1)).default(['panda-', 'tegra']),
    /** Publish `slavealloc.allocated` and `slavealloc.slave.updated` (and the like) to the bus. */
    events: z.boolean().default(true),
  })
  .strict();

export type SlaveallocSection = z.output<typeof slaveallocSection>;

export const slaveallocSettings = (config: Config): SlaveallocSection =>
  sectionOf<SlaveallocSection>(config, 'slavealloc');
