import { describe, expect, it } from '@jest/globals';
import { createLogger, type Config } from '@loopabull/core';
import { exampleConfig, withHardware } from '../test/helpers.js';
import { boundProvisioner, otherProvisionerBindings } from './bindings.js';
import { hardwareParts } from './parts.js';
import { hardwareSettings } from './section.js';

const withBindings = (config: Config, bindings: Config['bus']['bindings']): Config => ({
  ...config,
  bus: { ...config.bus, bindings },
});

/** What `loopabull doctor` checks for the hardware automation with this configuration. */
const checksOf = async (config: Config) =>
  hardwareParts.doctor!({
    config,
    section: hardwareSettings(config),
    logger: createLogger('hardware-test', 'error'),
    resolvePath: (p) => p,
  });

/** `loopabull doctor`'s check of the bindings against `hardware.provisioner`. */
async function bindingsCheck(config: Config) {
  const check = (await checksOf(config)).find((c) => c.name === 'hardware bindings');
  if (!check) throw new Error('no hardware bindings check');
  return check;
}

const checkNames = async (config: Config) => (await checksOf(config)).map((c) => c.name);

describe('the bindings against hardware.provisioner', () => {
  it('reads the provisioner a routing-key pattern lets through', () => {
    expect(boundProvisioner('primary.*.*.*.*.releng-hardware.*.*.*.#')).toBe('releng-hardware');
    expect(boundProvisioner('*.*.*.*.*.proj-hw.#')).toBe('proj-hw');
    expect(boundProvisioner('primary.*.*.*.*.*.*.*.*.#')).toBeNull();
    expect(boundProvisioner('primary.#')).toBeNull();
    expect(boundProvisioner('primary.*.#.releng-hardware.#')).toBeNull();
    expect(boundProvisioner('route.index.gecko.v2.try.latest.#')).toBeNull();
  });

  it('passes the shipped example, whose bindings and provisioner agree', async () => {
    const config = exampleConfig();
    expect(otherProvisionerBindings(config, 'releng-hardware')).toEqual([]);
    await expect((await bindingsCheck(config)).probe()).resolves.toMatch(/releng-hardware/);
  });

  it('fails when the bindings let through only another provisioner, whose messages are all ignored', async () => {
    const config = withHardware(exampleConfig(), { provisioner: 'proj-hw' });
    expect(otherProvisionerBindings(config, 'proj-hw')).toHaveLength(4);
    await expect((await bindingsCheck(config)).probe()).rejects.toThrow(
      'bus.bindings of exchange/taskcluster-queue/v1/task-running, exchange/taskcluster-queue/v1/task-completed, exchange/taskcluster-queue/v1/task-failed, exchange/taskcluster-queue/v1/task-exception let only provisioner releng-hardware through, but hardware.provisioner is proj-hw: the handler ignores all those messages',
    );
  });

  it('takes bindings that leave the provisioner open, and those of other exchanges', async () => {
    const config = withBindings(withHardware(exampleConfig(), { provisioner: 'proj-hw' }), [
      { exchange: 'exchange/taskcluster-queue/v1/task-completed', routing_key: 'primary.#' },
      {
        exchange: 'exchange/taskcluster-queue/v1/task-pending',
        routing_key: 'primary.*.*.*.*.releng-hardware.#',
      },
    ]);
    await expect((await bindingsCheck(config)).probe()).resolves.toBeDefined();
  });

  it('checks nothing off Pulse, where the task exchanges are not the topics', async () => {
    const config = exampleConfig();
    expect(await checkNames(config)).toContain('hardware bindings');
    expect(await checkNames({ ...config, bus: { ...config.bus, preset: 'generic' } })).toEqual([
      'hardware',
    ]);
  });
});
