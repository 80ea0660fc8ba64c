import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { removeTempDirs, testConfig } from '@test/support';
import { connectOnce } from './bus.js';

afterAll(removeTempDirs);

const withUrl = (url: string) => testConfig({ overrides: { bus: { url } } });

describe('connecting to the broker', () => {
  it("names the virtual host and user when the broker refuses the vhost (amqplib drops the broker's reason)", async () => {
    const vhost = `loopabull-missing-${randomBytes(4).toString('hex')}`;
    const config = withUrl(`amqp://guest:guest@127.0.0.1:5672/${vhost}`);
    await expect(connectOnce(config)).rejects.toThrow(
      `cannot reach the bus at amqp://guest:***@127.0.0.1:5672/${vhost}: the broker refused to open virtual host "${vhost}": it does not exist, or user "guest" has no permission on it`,
    );
  });

  it("passes the broker's own words through when it gives them (a refused login)", async () => {
    const config = withUrl('amqp://guest:not-the-password@127.0.0.1:5672/');
    await expect(connectOnce(config)).rejects.toThrow(
      /cannot reach the bus at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672\/: .*ACCESS-REFUSED/,
    );
  });
});
