import type { Binding, Config } from '@loopabull/core';

/** The exchanges of the messages the handler records (observation.ts `RUN_STATES`). */
const RUN_EXCHANGE = /^exchange\/taskcluster-queue\/v1\/task-(running|completed|failed|exception)$/;

/**
 * The provisionerId a routing-key pattern of a task exchange lets through: its sixth word
 * (`primary.<taskId>.<runId>.<workerGroup>.<workerId>.<provisionerId>.…`), or null when the
 * pattern leaves it open (`*`, or a `#` before it).
 */
export function boundProvisioner(pattern: string): string | null {
  const words = pattern.split('.');
  if (words.length < 6 || words.slice(0, 6).includes('#')) return null;
  if (words[0] !== 'primary' && words[0] !== '*') return null;
  const word = words[5]!;
  return word === '*' ? null : word;
}

/**
 * The bindings of the task exchanges (on Pulse) that let through only another provisioner's
 * messages than `provisioner`: the handler ignores every one of them, so nothing is recorded.
 */
export function otherProvisionerBindings(config: Config, provisioner: string): Binding[] {
  return config.bus.bindings.filter((b) => {
    if (!RUN_EXCHANGE.test(b.exchange)) return false;
    const bound = boundProvisioner(b.routing_key);
    return bound !== null && bound !== provisioner;
  });
}
