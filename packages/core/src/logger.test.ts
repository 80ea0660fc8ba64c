import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { createLogger, logTimestamps } from './logger.js';

/** The lines a logger prints, in place of its console. */
function capture(level = 'debug'): { logger: winston.Logger; text: () => string } {
  const logger = createLogger('test', level);
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  logger.clear().add(new winston.transports.Stream({ stream }));
  return { logger, text: () => out };
}

describe('createLogger', () => {
  it('escapes control characters from message fields, so a record stays one line', () => {
    const { logger, text } = capture();
    logger.warn('parked a message that cannot become an event', {
      routing_key: 'a\ninfo [looper] forged\x1b[2J',
      message_id: 'id\u2028x',
      detail: { nested: 'c1 \x85' },
    });
    expect(text()).toBe(
      'warn [test] parked a message that cannot become an event ' +
        'routing_key=a\\ninfo [looper] forged\\x1b[2J message_id=id\\u2028x detail={"nested":"c1 \\x85"}\n',
    );
  });

  it('prints the records at its level and above, from it and from its children', () => {
    const { logger, text } = capture('warn');
    const child = logger.child({ part: 'x' });
    for (const l of [logger, child]) {
      l.debug('d');
      l.info('i');
      l.warn('w');
      l.error('e');
      l.log('info', 'i2');
    }
    expect(text()).toBe(
      'warn [test] w\nerror [test] e\nwarn [test] w part=x\nerror [test] e part=x\n',
    );
  });
  it('says which levels it prints, as it and its children print them', () => {
    for (const l of [createLogger('test', 'warn'), createLogger('test', 'warn').child({ x: 1 })]) {
      expect([
        l.isErrorEnabled(),
        l.isWarnEnabled(),
        l.isInfoEnabled(),
        l.isDebugEnabled(),
      ]).toEqual([true, true, false, false]);
    }
    expect(createLogger('test', 'debug').isDebugEnabled()).toBe(true);
  });
});

describe('logTimestamps (LOOPABULL_LOG_TIMESTAMPS)', () => {
  it('is on for a value that says yes, off when unset or saying no', () => {
    for (const yes of ['1', 'true', 'yes', 'on', 'TRUE']) expect(logTimestamps(yes)).toBe(true);
    for (const no of [undefined, '', ' ', '0', 'false', 'no', 'off', 'False', 'OFF'])
      expect(logTimestamps(no)).toBe(false);
  });
});
