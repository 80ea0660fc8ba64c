import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { RunError } from './run-error.js';
import fc from 'fast-check';
import yaml from 'js-yaml';
import type { LoopabullEvent } from '@loopabull/core';
import { localPlaybook, removeTempDirs, tempDir, tried } from '@test/support';
import {
  VARS_MAX_DEPTH,
  renderBatchVars,
  renderExtraVars,
  renderVars,
  removeLeftVarsDirs,
  withVarsFile,
} from './vars-file.js';

afterAll(() => removeTempDirs());

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

/**
 * What a reader of the vars file gets for `value`: the event as the queue stores it (JSON), with
 * every lone surrogate turned into U+FFFD, as Node's UTF-8 encoder turns it.
 */
function asRead(value: unknown): unknown {
  const fix = (v: unknown): unknown => {
    if (typeof v === 'string') return Buffer.from(v, 'utf8').toString('utf8');
    if (Array.isArray(v)) return v.map(fix);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [fix(k), fix(x)]));
    return v;
  };
  return fix(JSON.parse(JSON.stringify(value)));
}

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
      msg: asRead(body),
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

  it('writes lone surrogates as U+FFFD, not as escapes libyaml refuses, and keeps surrogate pairs', () => {
    const text = renderVars(
      { ...event, body: { ['k\udc00']: 'a\ud800b \ud83d\ude00 \udfff' } },
      { job_id: 'j', attempt: 1 },
    );
    expect(text).toMatch(/^msg:\n {2}!unsafe "k\ufffd": !unsafe "a\ufffdb 😀 \ufffd"\n/);
    expect(text).not.toMatch(/\\ud[89a-f]/i);
    // Two keys that differ only there become one, the last value winning as in JSON.
    const merged = renderVars(
      { ...event, body: { 'k\ud800': 1, 'k\udc00': 2 } },
      { job_id: 'j', attempt: 1 },
    );
    expect(merged).toMatch(/^msg:\n {2}!unsafe "k\ufffd": 2\nloopabull:/);
  });

  it('writes a lone surrogate as U+FFFD wherever it stands, in metadata and batches too', () => {
    // Published as JSON text, as the looper reads it: escapes, since UTF-8 has no lone surrogate.
    const body = JSON.parse(
      String.raw`["\ud800", "\udc00x", "\udc00\ud800", "\ud800\ud83d\ude00\udc00", "x\udbff"]`,
    ) as string[];
    const written = ['\ufffd', '\ufffdx', '\ufffd\ufffd', '\ufffd😀\ufffd', 'x\ufffd'];
    const items = (indent: string) => written.map((w) => `\n${indent}- !unsafe "${w}"`).join('');
    const headers = { 'h\udfff': 'v\ud800' };
    const meta = { job_id: 'j', attempt: 1 };
    const single = renderVars({ ...event, body, headers }, meta);
    expect(single).toContain(`msg:${items('  ')}\nloopabull:\n`);
    expect(single).toContain('\n    !unsafe "h\ufffd": !unsafe "v\ufffd"\n');
    const batch = renderBatchVars([{ event: { ...event, body, headers }, meta }]);
    expect(batch).toContain(`msgs:\n  -${items('    ')}\nloopabull_msgs:\n`);
    expect(batch).toContain('\n      !unsafe "h\ufffd": !unsafe "v\ufffd"\n');
    for (const text of [single, batch]) {
      // Well-formed: UTF-8 has every code unit back. And no surrogate written as an escape.
      expect(Buffer.from(text, 'utf8').toString('utf8')).toBe(text);
      expect(text).not.toMatch(/\\u[dD][89a-fA-F]/);
    }
  });

  it('writes keys too long for an implicit YAML key in the explicit form', () => {
    const long = 'k'.repeat(2000);
    // Escaping makes a 200-character key of control characters 800 long, 1600 with two hundred more.
    const escaped = '\u0001'.repeat(400);
    const body = { [long]: { short: [1] }, [escaped]: 'v', ok: { [long]: 'x' } };
    const text = renderVars({ ...event, body }, { job_id: 'j', attempt: 1 });
    expect(text).toContain(`\n  ? !unsafe "${long}"\n  :\n    !unsafe "short":\n      - 1\n`);
    expect(text).toContain(`\n  ? !unsafe "${'\\x01'.repeat(400)}"\n  : !unsafe "v"\n`);
    expect(text).toContain(`\n    ? !unsafe "${long}"\n    : !unsafe "x"\n`);
    for (const line of text.split('\n')) {
      if (line.trimStart().startsWith('!unsafe') && line.includes('":'))
        expect(line.indexOf('":')).toBeLessThan(1024);
    }
    expect((yaml.load(text, { schema: UNSAFE_SCHEMA }) as { msg: unknown }).msg).toEqual(body);
  });

  it('refuses for good a body nested deeper than ansible-playbook reads', () => {
    let body: unknown = 1;
    for (let i = 0; i < VARS_MAX_DEPTH; i++) body = [body];
    expect(() => renderVars({ ...event, body }, { job_id: 'j', attempt: 1 })).not.toThrow();
    for (let i = 0; i < 5_000; i++) body = { a: body };
    let thrown: unknown;
    try {
      renderVars({ ...event, body }, { job_id: 'j', attempt: 1 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RunError);
    expect((thrown as RunError).permanent).toBe(true);
    expect((thrown as Error).message).toMatch(/nested deeper than the 300 levels/);
  });

  it('round-trips any JSON body, keys of any length and any characters included', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom(
        '"',
        '\\',
        '\n',
        '\r',
        '\t',
        '\x00',
        '\x7f',
        '\x85',
        '\u2028',
        '\ufeff',
        ':',
        '#',
      ),
    );
    const longKey = fc
      .tuple(fc.integer({ min: 900, max: 1300 }), fc.constantFrom('k', '\x01', 'é', '😀', '"'))
      .map(([n, ch]) => ch.repeat(n));
    const body = fc.tuple(fc.jsonValue({ stringUnit: unit, maxDepth: 6 }), longKey);
    let cases = 0;
    fc.assert(
      fc.property(body, ([value, key]) => {
        cases++;
        const msg = { [key]: value, value };
        const text = renderVars({ ...event, body: msg }, { job_id: 'j', attempt: 1 });
        const read = yaml.load(text, { schema: UNSAFE_SCHEMA }) as { msg: unknown };
        expect(read.msg).toEqual(asRead(msg));
      }),
      { numRuns: 300 },
    );
    tried('vars-file writer round trips', cases);
  });

  it('writes numbers as Python json read them from the body text: floats with a point, ints exact', () => {
    const text =
      '{"t": 1424216566.0, "big": 12345678901234567890, "e": 1e5, "f": 1.50, "neg": -0.0,' +
      ' "inf": 1e400, "n": [1.0, {"x": 2.5E1}], "s": "1.0", "1.0": 3, "plain": 7}';
    const vars = renderVars(
      { ...event, body: JSON.parse(text), body_text: text },
      { job_id: 'j', attempt: 1 },
    );
    expect(vars).toContain(
      [
        'msg:',
        '  !unsafe "t": 1424216566.0',
        '  !unsafe "big": 12345678901234567890',
        '  !unsafe "e": 100000.0',
        '  !unsafe "f": 1.5',
        '  !unsafe "neg": -0.0',
        '  !unsafe "inf": .inf',
        '  !unsafe "n":',
        '    - 1.0',
        '    -',
        '      !unsafe "x": 25.0',
        '  !unsafe "s": !unsafe "1.0"',
        '  !unsafe "1.0": 3',
        '  !unsafe "plain": 7',
      ].join('\n'),
    );
  });

  it('writes the number JSON.parse made where the text has no literal for it', () => {
    const meta = { job_id: 'j', attempt: 1 };
    // An int Python would refuse (over 4300 digits), and a text that is not this body's.
    const huge = '9'.repeat(4301);
    expect(renderVars({ ...event, body: [Infinity], body_text: `[${huge}]` }, meta)).toMatch(
      /^msg:\n {2}- null\n/,
    );
    expect(renderVars({ ...event, body: { a: 2 }, body_text: '{"a": 1.0}' }, meta)).toMatch(
      /^msg:\n {2}!unsafe "a": 2\n/,
    );
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

  it("leaves its directory to removeLeftVarsDirs when killed, which removes dead processes' only", async () => {
    const tmp = tempDir('vars-left');
    // A worker killed with SIGKILL mid-run (the built module: `npm run build` first).
    const module = join(import.meta.dirname, '../dist/vars-file.js');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { withVarsFile } from ${JSON.stringify(module)};
await withVarsFile('msg: secret\\n', async (path) => {
  console.log(path);
  // A timer keeps the process alive until the kill: a bare pending promise let it exit by
  // itself, running its exit cleanup, before a test process slow to read the path killed it.
  await new Promise((resolve) => setTimeout(resolve, 2 ** 30));
});`,
      ],
      { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const left = dirname(line.toString().trim());
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL']);
    expect(existsSync(join(left, 'vars.yml'))).toBe(true);
    // Ours, a live process's (pid 1) and what is not a run's directory stay.
    const kept = [`loopabull-vars-${process.pid}-abcDEF`, 'loopabull-vars-1-abcDEF', 'other'];
    for (const name of kept) mkdirSync(join(tmp, name));
    expect(removeLeftVarsDirs(tmp)).toEqual([basename(left)]);
    expect(readdirSync(tmp).sort()).toEqual(kept.sort());
  });
});

describe('renderExtraVars', () => {
  it('writes top-level variables under their own names, every string in them as data', () => {
    const vars = { item: NASTY[0]!, nested: { [NASTY[1]!]: [NASTY[2]!, 3] }, none: null };
    const text = renderExtraVars(vars);
    expect(text).toMatch(/^item: !unsafe /m);
    expect(text).toMatch(/^ {2}!unsafe "\{% for x in y %\}/m);
    expect(yaml.load(text, { schema: UNSAFE_SCHEMA })).toEqual(vars);
  });
});

describe('renderVars with ansible-playbook', () => {
  /** What a playbook given `vars` as its extra-vars file writes of the template `content`. */
  async function rendered(content: string, vars: string): Promise<string> {
    const dir = tempDir('vars');
    const playbook = join(dir, 'copy.yml');
    writeFileSync(
      playbook,
      localPlaybook([{ 'ansible.builtin.copy': { content, dest: join(dir, 'out') } }]),
    );
    await withVarsFile(vars, (file) =>
      promisify(execFile)('ansible-playbook', [playbook, '-e', `@${file}`], {
        env: { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'False' },
      }),
    );
    return readFileSync(join(dir, 'out'), 'utf8');
  }

  it('gives a playbook the numbers Python json read from the body: the same types, the same text', async () => {
    // The text as a Python publisher sends it, with literals JSON.stringify never writes.
    const text =
      '{"timestamp": 1424216566.0, "ints": [0, -7, 9007199254740993, 123456789012345678901234567890],' +
      ' "floats": [1.0, -0.0, 1e5, 1.50, 1E16, 1e21, 1e-7, 0.00001, 12345678.0000000001, 1e400],' +
      ' "nested": {"a": [{"b": 2.0}]}, "digits": "1.0 1e5 12345678901234567890"}';
    const vars = renderVars(
      { ...event, body: JSON.parse(text), body_text: text },
      { job_id: 'j', attempt: 1 },
    );
    const out = await rendered(
      '{{ msg.timestamp }} {{ msg.timestamp | type_debug }} {{ msg.ints[3] }} ' +
        '{{ msg.ints[3] | type_debug }}\n{{ msg | to_json }}',
      vars,
    );
    const python = await promisify(execFile)('python3', [
      '-c',
      'import json, sys; print(json.dumps(json.loads(sys.argv[1])), end="")',
      text,
    ]);
    expect(out).toBe(`1424216566.0 float 123456789012345678901234567890 int\n${python.stdout}`);
  });

  it('runs a playbook on a message with lone surrogates, which it sees as U+FFFD', async () => {
    // The message's JSON text as a publisher sends it; libyaml refused the escapes written for it.
    const text = String.raw`{"text": "a\ud800b \ud83d\ude00 \udc00"}`;
    const vars = renderVars(
      { ...event, body: JSON.parse(text), headers: { h: '\udfff' } },
      { job_id: 'j', attempt: 1 },
    );
    expect(await rendered('{{ msg.text }}|{{ loopabull.headers.h }}', vars)).toBe(
      'a\ufffdb 😀 \ufffd|\ufffd',
    );
  });

  it('gives a playbook exactly the message that broke it before: lone surrogates, long keys, deep nesting', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = { [`level${i}`]: deep };
    const body = {
      lone: 'a\ud800b\udc00',
      ['k'.repeat(1500)]: { [`\u0001${'x'.repeat(1100)}`]: [1, 'two'] },
      deep,
      template: "{{ lookup('pipe', 'id') }}",
    };
    const vars = renderVars({ ...event, body }, { job_id: 'j', attempt: 1 });
    expect(JSON.parse(await rendered('{{ msg | to_json }}', vars))).toEqual(asRead(body));
  });
});
