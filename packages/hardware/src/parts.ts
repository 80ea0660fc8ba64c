import {
  closeRedis,
  connectRedisOnce,
  type AutomationEnv,
  type AutomationParts,
  counted,
} from '@loopabull/core';
import { boundProvisioner, otherProvisionerBindings } from './bindings.js';
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

/**
 * The bindings let through the provisioner the handler tracks: a binding of a task exchange whose
 * routing key names another one brings only messages the handler ignores, and nothing else says so.
 */
const bindingsCheck = ({ config, section }: AutomationEnv<HardwareSection>) => ({
  name: 'hardware bindings',
  fix: `make the sixth word of the task exchanges' routing keys in bus.bindings (the provisionerId) hardware.provisioner, ${section.provisioner}, or set hardware.provisioner to theirs`,
  probe: async () => {
    const others = otherProvisionerBindings(config, section.provisioner);
    if (others.length === 0)
      return `no binding of a task exchange lets through a provisioner other than ${section.provisioner}`;
    const provisioners = [...new Set(others.map((b) => boundProvisioner(b.routing_key)))];
    throw new Error(
      `bus.bindings of ${others.map((b) => b.exchange).join(', ')} let only provisioner ${provisioners.join(', ')} through, but hardware.provisioner is ${section.provisioner}: the handler ignores all those messages`,
    );
  },
});

/** What the hardware automation does, imported by the processes that use it (automation.ts). */
export const hardwareParts: AutomationParts<HardwareSection> = {
  doctor: (env) => [
    storeCheck(env),
    ...(env.config.bus.preset === 'pulse' ? [bindingsCheck(env)] : []),
  ],
  start: () => ({
    handlers: { default: hardwareHandler },
    batchHandlers: { default: hardwareBatchHandler },
    routes: hardwareRoutes,
  }),
};
