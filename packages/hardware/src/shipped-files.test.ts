import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  pulseTopic,
  type BatchContext,
  type BatchHandler,
  type BatchSettings,
  type LoopabullEvent,
} from '@loopabull/core';
import { exampleConfig } from '../test/helpers.js';
import { hardwareSettings } from './section.js';

const config = exampleConfig();
const STATES = ['running', 'completed', 'failed', 'exception'];

describe('examples/releng-hardware.yml', () => {
  it('loads, with the pulse preset and the four bindings of the original', () => {
    expect(config.bus.preset).toBe('pulse');
    expect(config.bus.queue).toMatch(/^queue\/[^/]+\/releng-hardware$/);
    expect(config.bus.bindings).toEqual(
      STATES.map((s) => ({
        exchange: `exchange/taskcluster-queue/v1/task-${s}`,
        routing_key: 'primary.*.*.*.*.releng-hardware.*.*.*.#',
      })),
    );
    expect(config.sections.hardware).toEqual({
      enabled: true,
      provisioner: 'releng-hardware',
      stale_after: 21600,
    });
  });

  it('binds the provisioner the handler tracks', () => {
    for (const b of config.bus.bindings)
      expect(b.routing_key.split('.')[5]).toBe(hardwareSettings(config).provisioner);
  });
});

describe('playbooks/taskcluster-queue.*.mjs', () => {
  it('exist for every bound exchange and hand their batches to the hardware batch handler', async () => {
    for (const { exchange } of config.bus.bindings) {
      const file = join(config.ansible.playbooks_dir, `${pulseTopic(exchange)}.mjs`);
      expect(existsSync(file)).toBe(true);
      const mod = (await import(pathToFileURL(file).href)) as {
        default: BatchHandler;
        batch: BatchSettings;
      };
      expect(mod.batch).toEqual({ max: 500, wait_ms: 20 });
      const calls: Array<[LoopabullEvent[], BatchContext]> = [];
      const ctx = {
        automationBatch: (name: string) => {
          expect(name).toBe('hardware');
          return (e: LoopabullEvent[], c: BatchContext) => {
            calls.push([e, c]);
            return [{ done: true }];
          };
        },
      } as unknown as BatchContext;
      const events = [{ topic: pulseTopic(exchange) } as LoopabullEvent];
      expect(await mod.default(events, ctx)).toEqual([{ done: true }]);
      expect(calls).toEqual([[events, ctx]]);
    }
  });
});
