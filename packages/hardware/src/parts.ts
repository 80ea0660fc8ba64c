import {
  closeRedis,
  connectRedisOnce,
  type AutomationEnv,
  type AutomationParts,
  counted,
} from '@loopabull/core';
import { hardwareBatchHandler, hardwareHandler } from './handler.js';
import { HARDWARE_KEYS } from './keys.js';
import { hardwareRoutes } from './mount.js';
import type { HardwareSection } from './section.js';

/** The Redis store answers and says how much it holds: the first thing to look at when `/machines` is empty. */
const storeCheck = ({ config, section }: AutomationEnv<HardwareSection>) => ({
  name: 'hardware',
  fix: 'check redis.url; machines appear once taskcluster-queue task messages of the provisioner arrive',
  probe: async () => {
    const redis = await connectRedisOnce(config.redis.url);
    try {
      const machines = await redis.hlen(HARDWARE_KEYS.lastseen);
      return `${counted(machines, 'machine')} of provisioner ${section.provisioner} tracked`;
    } finally {
      closeRedis(redis);
    }
  },
});

/** What the hardware automation does, imported by the processes that use it (automation.ts). */
export const hardwareParts: AutomationParts<HardwareSection> = {
  doctor: (env) => [storeCheck(env)],
  start: () => ({
    handlers: { default: hardwareHandler },
    batchHandlers: { default: hardwareBatchHandler },
    routes: hardwareRoutes,
  }),
};
