import { describe, expect, it } from '@jest/globals';
import { AckWindow } from './ack-window.js';

const windowOf = (...tags: number[]) => {
  const w = new AckWindow();
  for (const tag of tags) w.delivered(tag);
  return w;
};

describe('AckWindow', () => {
  it('acks nothing while the oldest delivery is not ready', () => {
    const w = windowOf(1, 2, 3);
    w.ready(2);
    w.ready(3);
    expect(w.take()).toBeNull();
    expect(w.size).toBe(3);
  });

  it('acks the leading run of ready deliveries up to its last tag, and keeps the rest', () => {
    const w = windowOf(1, 2, 3, 4);
    w.ready(2);
    w.ready(1);
    w.ready(4);
    expect(w.take()).toBe(2);
    expect(w.take()).toBeNull();
    w.ready(3);
    expect(w.take()).toBe(4);
    expect(w.size).toBe(0);
  });

  it('a delivery settled on its own (requeued) does not hold back the acks after it', () => {
    const w = windowOf(1, 2, 3);
    w.forget(1);
    w.ready(2);
    expect(w.take()).toBe(2);
    expect(w.ready(1)).toBe(false);
  });
});
