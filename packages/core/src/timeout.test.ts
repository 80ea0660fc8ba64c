import { expect, it } from '@jest/globals';
import { TimeoutError, withTimeout } from './timeout.js';

it('times out a promise that does not settle, and passes through one that does', async () => {
  await expect(withTimeout(new Promise(() => undefined), 5, 'Redis PING')).rejects.toBeInstanceOf(
    TimeoutError,
  );
  await expect(withTimeout(Promise.resolve('PONG'), 1000, 'Redis PING')).resolves.toBe('PONG');
});
