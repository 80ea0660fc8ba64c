import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  pulseTopic,
  type Handler,
  type HandlerContext,
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
  it('exist for every bound exchange and hand the event to the hardware handler', async () => {
    for (const { exchange } of config.bus.bindings) {
      const file = join(config.ansible.playbooks_dir, `${pulseTopic(exchange)}.mjs`);
      expect(existsSync(file)).toBe(true);
      const mod = (await import(pathToFileURL(file).href)) as { default: Handler };
      const calls: Array<[LoopabullEvent, HandlerContext]> = [];
      const ctx = {
        automation: (name: string) => {
          expect(name).toBe('hardware');
          return (e: LoopabullEvent, c: HandlerContext) => {
            calls.push([e, c]);
            return { done: true };
          };
        },
      } as unknown as HandlerContext;
      const event = { topic: pulseTopic(exchange) } as LoopabullEvent;
      expect(await mod.default(event, ctx)).toEqual({ done: true });
      expect(calls).toEqual([[event, ctx]]);
    }
  });
});
