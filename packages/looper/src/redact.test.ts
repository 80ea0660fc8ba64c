import { expect, it } from '@jest/globals';
import { redactUrl } from './redact.js';

it('keeps passwords out of logged URLs', () => {
  expect(redactUrl('amqps://user:secret@broker:5671/vhost')).toBe(
    'amqps://user:***@broker:5671/vhost',
  );
  expect(redactUrl('amqp://127.0.0.1')).toBe('amqp://127.0.0.1');
});
