import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import type { LoopabullEvent } from '@loopabull/core';
import { renderVars, withVarsFile } from './vars-file.js';

/** Reads `!unsafe` as js-yaml would read the plain string: what a round trip must give back. */
const UNSAFE_SCHEMA = yaml.DEFAULT_SCHEMA.extend([
  new yaml.Type('!unsafe', { kind: 'scalar', construct: (data: string) => data }),
]);

const NASTY = [
  "{{ lookup('pipe','id') }}",
  '{% for x in y %}{{ x }}{% endfor %}',
  'quote " and \\ backslash',
  'line\nbreak\r\nand\ttab',
  'nul \u0000 del \u007f c1 \u0085 \u0090 ls \u2028 ps \u2029 bom \ufeff nonchar \ufffe \uffff',
  'emoji 😀 accents é ß 漢字',
  'lone \ud800 surrogate \udc00',
  'yes',
  'no',
  'null',
  '~',
  '1e5',
  '0x10',
  '  leading and trailing  ',
  '# not a comment',
  '- not a list',
  'key: value',
  '!unsafe',
  '',
];

const body = {
  strings: NASTY,
  numbers: [0, -0.5, 123, 2 ** 53, 1e21, 1e-7, -1.5e-300, 3.14],
  flags: [true, false, null],
  empty: { list: [], map: {} },
  nested: [[1, [2, []]], [{ a: { b: [{ c: 'd' }] } }], {}],
  ...Object.fromEntries(NASTY.map((s, i) => [s, i])),
};

const event: LoopabullEvent = {
  id: 'id-1',
  topic: 'org.example.thing',
  body,
  headers: {
    'sent-at': '2024-01-01T00:00:00+00:00',
    "{{ lookup('pipe','id') }}": ['x', 1],
    nested: { deep: true },
  },
  exchange: 'amq.topic',
  routing_key: 'org.example.thing',
  sent_at: null,
  received_at: '2024-01-01T00:00:01.000Z',
};

describe('renderVars', () => {
  it('round-trips the event exactly through a YAML parser', () => {
    const text = renderVars(event, { job_id: 'job-1', attempt: 2 });
    expect(yaml.load(text, { schema: UNSAFE_SCHEMA })).toEqual({
      msg: body,
      loopabull: {
        topic: event.topic,
        id: event.id,
        headers: event.headers,
        exchange: event.exchange,
        routing_key: event.routing_key,
        sent_at: null,
        received_at: event.received_at,
        job_id: 'job-1',
        attempt: 2,
      },
    });
  });

  it('tags every string, keys from the message included; only its own field names are plain', () => {
    const text = renderVars(event, { job_id: 'job-1', attempt: 1 });
    const tagged = String.raw`!unsafe "(?:[^"\\]|\\.)*"`;
    const scalar = String.raw`(?:${tagged}|null|true|false|-?\d[\d.e+-]*|\[\]|\{\})`;
    const ownKey = String.raw`(?:msg|loopabull|  (?:topic|id|headers|exchange|routing_key|sent_at|received_at|job_id|attempt))`;
    const line = new RegExp(
      String.raw`^(?:${ownKey}|\s*(?:-(?: |$))?${tagged}|\s*-)(?::(?: ${scalar})?$| ${scalar}$|$)|^\s*- ${scalar}$`,
    );
    for (const l of text.trimEnd().split('\n')) expect(l).toMatch(line);
    expect(text).toContain(`  !unsafe "{{ lookup('pipe','id') }}": 0`);
    expect(text).toContain('  job_id: !unsafe "job-1"');
  });

  it('writes only printable characters, one scalar per line', () => {
    const text = renderVars(event, { job_id: 'j', attempt: 1 });
    expect(text).toMatch(
      /^[\x20-\x7e\n\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u,
    );
  });

  it('writes floats YAML 1.1 reads as floats', () => {
    const text = renderVars(
      { ...event, body: [1e21, 1e-7, 2.5e-8, 12] },
      { job_id: 'j', attempt: 1 },
    );
    expect(text).toMatch(/^msg:\n {2}- 1\.0e\+21\n {2}- 1\.0e-7\n {2}- 2\.5e-8\n {2}- 12\n/);
  });

  it('a scalar body stays a scalar', () => {
    expect(renderVars({ ...event, body: 'x' }, { job_id: 'j', attempt: 1 })).toMatch(
      /^msg: !unsafe "x"\n/,
    );
    expect(renderVars({ ...event, body: null }, { job_id: 'j', attempt: 1 })).toMatch(
      /^msg: null\n/,
    );
  });
});

describe('withVarsFile', () => {
  it('writes a private file and removes it afterwards', async () => {
    let seen = '';
    const out = await withVarsFile('msg: 1\n', async (path) => {
      seen = path;
      expect(readFileSync(path, 'utf8')).toBe('msg: 1\n');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
      return 42;
    });
    expect(out).toBe(42);
    expect(existsSync(dirname(seen))).toBe(false);
  });

  it('removes it when the run throws too', async () => {
    let seen = '';
    await expect(
      withVarsFile('x', async (path) => {
        seen = path;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(dirname(seen))).toBe(false);
  });
});
