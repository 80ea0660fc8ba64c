import { readFileSync } from 'node:fs';
import { toEvent, type LoopabullEvent } from '@loopabull/core';

/** Captured messages and documents from the real systems (test/fixtures/README.md). */
export const FIXTURES = new URL('../fixtures/', import.meta.url);

export function readFixture<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(new URL(relative, FIXTURES), 'utf8')) as T;
}

/** A captured Pulse message (fixtures/pulse/). */
export interface PulseFixture {
  exchange: string;
  routingKey: string;
  payload: unknown;
}

/** The event the looper makes of a captured Pulse message with the pulse preset. */
export function pulseEventOf(f: PulseFixture, maxBytes: number): LoopabullEvent {
  const made = toEvent(
    {
      exchange: f.exchange,
      routingKey: f.routingKey,
      content: Buffer.from(JSON.stringify(f.payload)),
    },
    'pulse',
    { maxBytes },
  );
  if (!made.ok) throw new Error(made.detail);
  return made.event;
}
