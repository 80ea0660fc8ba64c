import { describe, expect, it } from '@jest/globals';
import { redactUrl, UNPARSABLE_URL } from './redis.js';

describe('redactUrl', () => {
  it.each([
    ['redis://:hunter2@redis.example:6379/0', 'redis://:***@redis.example:6379/0'],
    ['amqps://lb:hunter2@rabbit.example/%2Fpubsub', 'amqps://lb:***@rabbit.example/%2Fpubsub'],
    ['redis://redis.example:6379?password=hunter2', 'redis://redis.example:6379?password=***'],
    ['redis://redis.example/?db=2&pass=hunter2', 'redis://redis.example/?db=2&pass=***'],
    [
      'rediss://r.example/?sentinelPassword=hunter2&family=6',
      'rediss://r.example/?sentinelPassword=***&family=6',
    ],
    ['https://api.example/?access_token=hunter2', 'https://api.example/?access_token=***'],
    ['https://api.example/?api_key=hunter2&x=1', 'https://api.example/?api_key=***&x=1'],
    ['https://ghp_hunter2@git.example/repo', 'https://***@git.example/repo'],
    ['amqp://u:hunter2@h/?password=hunter2&password=again', 'amqp://u:***@h/?password=***'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
    expect(redactUrl(url)).not.toContain('hunter2');
  });

  it('keeps what is no secret as it was', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('amqp://u:p@127.0.0.1:5672/?heartbeat=10')).toBe(
      'amqp://u:***@127.0.0.1:5672/?heartbeat=10',
    );
  });

  it.each([
    'redis://u:hunter2@host:99999',
    'amqp://u:hunter2@[bad',
    'hunter2',
    'amqp://u:hunter2@ho st',
    '',
  ])('redacts the unparsable %j wholesale', (url) => {
    expect(redactUrl(url)).toBe(UNPARSABLE_URL);
  });
});
