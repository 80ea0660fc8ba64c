import { describe, expect, it } from '@jest/globals';
import { EventSink } from './events.js';

describe('EventSink', () => {
  it('logs a failed publish instead of failing, and flush waits for it', async () => {
    const warnings: Array<[string, unknown]> = [];
    const logger = {
      warn: (message: string, meta?: unknown) => void warnings.push([message, meta]),
    };
    const sink = new EventSink(async () => {
      throw new Error('broker down');
    }, logger as never);
    expect(() => sink.emit('slavealloc.allocated', {})).not.toThrow();
    await sink.flush();
    expect(warnings).toEqual([
      ['could not publish slavealloc.allocated', { error: 'broker down' }],
    ]);
  });

  it('sends in order, and sends nothing without a sender', async () => {
    const sent: string[] = [];
    const sink = new EventSink(async (topic) => void sent.push(topic), { warn: () => {} } as never);
    sink.emit('a', 1);
    sink.emit('b', 2);
    await sink.flush();
    expect(sent).toEqual(['a', 'b']);
    const none = new EventSink(null, { warn: () => {} } as never);
    none.emit('c', 3);
    await none.flush();
  });
});
