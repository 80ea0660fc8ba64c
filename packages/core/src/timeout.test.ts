import { expect, it } from '@jest/globals';
import { settlesWithin, TimeoutError, withTimeout } from './timeout.js';

it('times out a promise that does not settle, and passes through one that does', async () => {
  await expect(withTimeout(new Promise(() => undefined), 5, 'Redis PING')).rejects.toBeInstanceOf(
    TimeoutError,
  );
  await expect(withTimeout(Promise.resolve('PONG'), 1000, 'Redis PING')).resolves.toBe('PONG');
});

it('tells whether a promise settled in time, either way', async () => {
  await expect(settlesWithin(new Promise(() => undefined), 5)).resolves.toBe(false);
  await expect(settlesWithin(Promise.resolve(), 1000)).resolves.toBe(true);
  await expect(settlesWithin(Promise.reject(new Error('no')), 1000)).resolves.toBe(true);
});
