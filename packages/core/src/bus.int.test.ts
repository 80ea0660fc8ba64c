import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { privateVhost, removeTempDirs, testConfig } from '@test/support';
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

describe('connection tuning in bus.url', () => {
  /** What the connection settled on with the broker, and what the broker says it uses. */
  async function tuned(query: string) {
    const vhost = await privateVhost('tuning');
    try {
      const model = await connectOnce(withUrl(`${vhost.url}?${query}`));
      try {
        const { frameMax, channelMax, heartbeat } = model.connection as unknown as Record<
          string,
          number
        >;
        return { frameMax, channelMax, heartbeat };
      } finally {
        await model.close();
      }
    } finally {
      await vhost.remove();
    }
  }

  it("takes frame_max, channel_max and heartbeat under the RabbitMQ URI spec's names (pika's, fedora-messaging's)", async () => {
    expect(await tuned('frame_max=8192&channel_max=7&heartbeat=30&locale=en_US')).toEqual({
      frameMax: 8192,
      channelMax: 7,
      heartbeat: 30,
    });
  });

  it("takes amqplib's own names, and bus.heartbeat when the URL has none or turns them off", async () => {
    expect(await tuned('frameMax=16384&channelMax=9')).toEqual({
      frameMax: 16384,
      channelMax: 9,
      heartbeat: 10,
    });
    expect((await tuned('heartbeat=0')).heartbeat).toBe(10);
  });
});
