import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RESULTSDB_OUTCOMES } from '../outcomes.js';
import {
  isoformat,
  parseNewGroup,
  parseNewResult,
  parseNewTestcase,
  parseSubmitTime,
  storedTime,
  utcNow,
  microsecondClock,
} from './api.js';
import {
  likePattern,
  parseGroupQuery,
  parseQueryTime,
  parseResultQuery,
  parseTestcaseQuery,
  PAGING,
} from './filters.js';
import { newestPerCombination } from './latest.js';

const now = '2020-01-02T03:04:05.006007';
const opts = { outcomes: RESULTSDB_OUTCOMES, now };

describe('submit_time', () => {
  it.each<[number | string | null, string]>([
    [null, '2020-01-02T03:04:05.006007'],
    [1471267746000, '2016-08-15T13:29:06.000000'],
    // Milliseconds are what the microseconds hold, as ResultsDB read them (isoformat: .415000).
    [1471267746415, '2016-08-15T13:29:06.415000'],
    ['2016-08-15T13:29:06', '2016-08-15T13:29:06.000000'],
    ['2016-08-15T13:29:06.123456Z', '2016-08-15T13:29:06.123456'],
    ['2016-08-15T13:29:06.1', '2016-08-15T13:29:06.100000'],
    // Years before 1000 keep four digits, so that they sort before the others as text.
    [-50000000000000, '0385-07-25T07:06:40.000000'],
    ['0050-01-01T00:00:00', '0050-01-01T00:00:00.000000'],
    [-62135596800000, '0001-01-01T00:00:00.000000'],
    [253402300799999, '9999-12-31T23:59:59.999000'],
    // As ResultsDB also reads them: ms as a string (int(v)), `+00`, and offsets (%z), in UTC.
    ['1471267746000', '2016-08-15T13:29:06.000000'],
    ['2016-08-15T13:29:06.5+00', '2016-08-15T13:29:06.500000'],
    ['2016-08-15T13:29:06.123456+00:00', '2016-08-15T13:29:06.123456'],
    ['2016-08-15T13:29:06.123456+02:00', '2016-08-15T11:29:06.123456'],
    ['2016-08-15T23:29:06.1-0130', '2016-08-16T00:59:06.100000'],
  ])('%j -> %s', (given, stored) => {
    expect(parseSubmitTime(given, now)).toEqual({ ok: true, value: stored });
  });

  it.each([
    '2016-02-30T00:00:00',
    '2016-08-15 13:29:06',
    'yesterday',
    '2016-08-15T13:29:06+02',
    '2016-08-15T13:29:06+24:00',
    '1471267746000.5',
  ])('refuses %s', (given) => expect(parseSubmitTime(given, now).ok).toBe(false));

  it.each<[number | string, RegExp]>([
    [-62135596800001, /^submit_time -62135596800001 is not .* between the years 0001 and 9999$/],
    [253402300800000, /^submit_time 253402300800000 is not .* between the years 0001 and 9999$/],
    [8.64e15 + 1, /^submit_time .* between the years 0001 and 9999$/],
    ['0000-12-31T23:59:59', /^submit_time "0000-12-31T23:59:59" is not between the years/],
  ])('refuses %j, outside the years ResultsDB can hold, naming submit_time', (given, message) => {
    const time = parseSubmitTime(given, now);
    expect(!time.ok && time.message).toMatch(message);
  });

  it('is written as Python isoformat writes it', () => {
    expect(isoformat('2016-08-15T13:29:06.000000')).toBe('2016-08-15T13:29:06');
    expect(isoformat('2016-08-15T13:29:06.120000')).toBe('2016-08-15T13:29:06.120000');
    const d = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6));
    expect(storedTime(d)).toBe('2020-01-02T03:04:05.006000');
    expect(storedTime(d, 7)).toBe('2020-01-02T03:04:05.006007');
    expect(storedTime(new Date(-50000000000000))).toBe('0385-07-25T07:06:40.000000');
  });

  it('stamps now to the microsecond, within the millisecond of the wall clock', () => {
    const stamps = Array.from({ length: 20 }, () => {
      const before = storedTime(new Date());
      const stamp = utcNow();
      return { before, stamp, after: storedTime(new Date()) };
    });
    for (const { before, stamp, after } of stamps) {
      expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
      expect(stamp >= before && stamp.slice(0, 23) <= after.slice(0, 23)).toBe(true);
    }
    // Twenty stamps whose microseconds are all 000 would be milliseconds.
    expect(stamps.some(({ stamp }) => !stamp.endsWith('000'))).toBe(true);
  });

  it('keeps to the microsecond while the monotonic clock drifts from the wall clock', () => {
    // A true time in µs that each reading of either clock moves on by 37 µs; the monotonic clock
    // runs 300 ppm slow, so that it parts from the wall clock by a millisecond every 3.3 s.
    const start = 1_700_000_000_000_000;
    let t = start;
    const wall = () => Math.floor((t += 37) / 1000);
    const mono = () => ((t += 37) - start) * (1 - 300e-6) * 1e-3;
    const now = microsecondClock(wall, mono, start / 1000);
    let worst = 0;
    let whole = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const us = now();
      worst = Math.max(worst, Math.abs(us - t));
      if (us % 1000 === 0) whole++;
    }
    // About 15 s: the clocks parted by 4.4 ms, and each reading is still within 0.2 ms.
    expect(t - start).toBeGreaterThan(14_000_000);
    expect(worst).toBeLessThan(200);
    // A millisecond clock's readings all end in 000; these end so at the edges of a millisecond.
    expect(whole / n).toBeLessThan(0.05);
  });
});

describe('parseNewResult', () => {
  it('takes a testcase name or object, groups as uuids or objects, data values as lists', () => {
    const r = parseNewResult(
      {
        outcome: 'passed',
        testcase: 't',
        groups: ['u1', { description: 'd' }],
        data: { a: 1, b: ['x', 'y'] },
      },
      opts,
    );
    expect(r.ok && r.value).toMatchObject({
      outcome: 'PASSED',
      testcase: { name: 't' },
      groups: [{ uuid: 'u1' }, { description: 'd', uuid: expect.any(String) }],
      data: [
        ['a', '1'],
        ['b', 'x'],
        ['b', 'y'],
      ],
      note: null,
      ref_url: null,
    });
  });

  it('stores a boolean data value as ResultsDB str() does: True, False', () => {
    const r = parseNewResult(
      { outcome: 'PASSED', testcase: 't', data: { ok: true, l: [false, 2, 'x'] } },
      opts,
    );
    expect(r.ok && r.value.data).toEqual([
      ['ok', 'True'],
      ['l', 'False'],
      ['l', '2'],
      ['l', 'x'],
    ]);
  });

  it('reads data that is an empty list or empty text as no data, as ResultsDB dict() of it', () => {
    for (const data of [[], '', null]) {
      const r = parseNewResult({ outcome: 'PASSED', testcase: 't', data }, opts);
      expect(r.ok && r.value.data).toEqual([]);
    }
    for (const data of [['k', 'v'], 'kv', 5, true]) {
      const bad = parseNewResult({ outcome: 'PASSED', testcase: 't', data }, opts);
      expect(!bad.ok && bad.message).toBe('data must map keys to a string or a list of strings');
    }
  });

  it('writes a number in data as Python does from its literal in the body text', () => {
    const json = '{"outcome": "PASSED", "testcase": "t", "data": {"d": 1.0, "l": [1e16, 2, true]}}';
    const r = parseNewResult(JSON.parse(json), { ...opts, json });
    expect(r.ok && r.value.data).toEqual([
      ['d', '1.0'],
      ['l', '1e+16'],
      ['l', '2'],
      ['l', 'True'],
    ]);
  });

  it('ignores other keys of testcase and group objects, as ResultsDB (a GET answer sent back)', () => {
    const r = parseNewResult(
      {
        outcome: 'PASSED',
        testcase: { name: 't', ref_url: 'u', href: 'http://x/api/v2.0/testcases/t' },
        groups: [{ uuid: 'g', description: 'd', results: 'r', href: 'h' }],
      },
      opts,
    );
    expect(r.ok && r.value).toMatchObject({
      testcase: { name: 't', ref_url: 'u' },
      groups: [{ uuid: 'g', description: 'd' }],
    });
    expect(r.ok && r.value.testcase).not.toHaveProperty('href');
    expect(r.ok && r.value.groups[0]).not.toHaveProperty('href');
    const g = parseNewGroup({ uuid: 'g', href: 'h', results: 'r' });
    expect(g.ok && g.value).toEqual({ uuid: 'g' });
    const t = parseNewTestcase({ name: 't', href: 'h' });
    expect(t.ok && t.value).toEqual({ name: 't' });
  });

  it('stores a number or boolean note and ref_url as the text ResultsDB 2.0 stored of them', () => {
    const json =
      '{"outcome": "PASSED", "testcase": "t", "note": 5, "ref_url": 1.0, "data": {"d": "x"}}';
    const r = parseNewResult(JSON.parse(json), { ...opts, json });
    expect(r.ok && [r.value.note, r.value.ref_url]).toEqual(['5', '1.0']);
    const b = parseNewResult({ outcome: 'PASSED', testcase: 't', note: true, ref_url: 1e16 }, opts);
    expect(b.ok && [b.value.note, b.value.ref_url]).toEqual(['True', '1e+16']);
    for (const note of [[1], { a: 1 }]) {
      const bad = parseNewResult({ outcome: 'PASSED', testcase: 't', note }, opts);
      expect(!bad.ok && bad.message).toBe('note must be a string, number or boolean');
    }
    const long = parseNewResult(
      { outcome: 'PASSED', testcase: 't', ref_url: 'x'.repeat(65536) },
      opts,
    );
    expect(!long.ok && long.message).toBe(
      'ref_url: Too big: expected string to have <=65535 characters',
    );
  });

  it('stores a number or boolean testcase ref_url or group field as its text, as ResultsDB 2.0', () => {
    const json =
      '{"outcome": "PASSED", "testcase": {"name": "t", "ref_url": 1.0},' +
      ' "groups": ["u", {"uuid": "g", "description": false, "ref_url": 2}, {"uuid": "h"}]}';
    const r = parseNewResult(JSON.parse(json), { ...opts, json });
    expect(r.ok && [r.value.testcase, r.value.groups]).toEqual([
      { name: 't', ref_url: '1.0' },
      [{ uuid: 'u' }, { uuid: 'g', description: 'False', ref_url: '2' }, { uuid: 'h' }],
    ]);
    const bad = parseNewResult(
      { outcome: 'PASSED', testcase: { name: 't', ref_url: ['u'] } },
      opts,
    );
    expect(!bad.ok && bad.message).toBe('testcase must be a name or {name, ref_url}');
  });

  it('stores a group object uuid that is a number or boolean as its text, as POST /groups', () => {
    const json =
      '{"outcome": "PASSED", "testcase": "t",' +
      ' "groups": [{"uuid": 5}, {"uuid": 1.0, "description": "d"}, {"uuid": false}, {"uuid": 0}]}';
    const r = parseNewResult(JSON.parse(json), { ...opts, json });
    expect(r.ok && r.value.groups.map((g) => g.uuid)).toEqual(['5', '1.0', 'False', '0']);
    // A uuid string is as before; a list is none, nor is a number in place of the object.
    for (const groups of [[{ uuid: ['g'] }], [5]]) {
      const bad = parseNewResult({ outcome: 'PASSED', testcase: 't', groups }, opts);
      expect(!bad.ok && bad.message).toBe(
        'groups.0: a group must be a uuid or {uuid, description, ref_url}',
      );
    }
    const digits = '9'.repeat(256);
    const long = `{"outcome": "PASSED", "testcase": "t", "groups": [{"uuid": ${digits}}]}`;
    const tooLong = parseNewResult(JSON.parse(long), { ...opts, json: long });
    expect(!tooLong.ok && tooLong.message).toBe('groups.0.uuid: a uuid has at most 255 characters');
  });

  it('keeps spaces around testcase names and group uuids, as ResultsDB does', () => {
    const r = parseNewResult(
      { outcome: 'PASSED', testcase: ' dist.a ', groups: [' g ', { uuid: '\tu' }] },
      opts,
    );
    expect(r.ok && r.value).toMatchObject({
      testcase: { name: ' dist.a ' },
      groups: [{ uuid: ' g ' }, { uuid: '\tu' }],
    });
    const fresh = parseNewResult(
      { outcome: 'PASSED', testcase: 't', groups: [{ uuid: null }] },
      opts,
    );
    expect(fresh.ok && fresh.value.groups[0]?.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const empty = parseNewResult(
      { outcome: 'PASSED', testcase: 't', groups: [{ uuid: '' }] },
      opts,
    );
    expect(!empty.ok && empty.message).toMatch(/^groups\.0\.uuid: /);
    const t = parseNewResult({ outcome: 'PASSED', testcase: { name: '  ' } }, opts);
    expect(t.ok && t.value.testcase).toEqual({ name: '  ' });
    expect(parseNewTestcase({ name: ' x' })).toEqual({ ok: true, value: { name: ' x' } });
    expect(parseNewResult({ outcome: 'PASSED', testcase: '' }, opts).ok).toBe(false);
  });

  it('strips the outcome before upper-casing it, as ResultsDB does', () => {
    const r = parseNewResult({ outcome: ' passed\n', testcase: 't' }, opts);
    expect(r.ok && r.value.outcome).toBe('PASSED');
  });

  it('leaves out a testcase ref_url not given, so that the stored one is kept', () => {
    const r = (testcase: unknown) => {
      const parsed = parseNewResult({ outcome: 'PASSED', testcase }, opts);
      return parsed.ok && parsed.value.testcase;
    };
    expect(r('t')).toEqual({ name: 't' });
    expect(r({ name: 't' })).toEqual({ name: 't' });
    expect(r({ name: 't', ref_url: null })).toEqual({ name: 't', ref_url: null });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['the note', { note: 'a\0b' }, 'note'],
    ['the ref_url', { ref_url: '\0' }, 'ref_url'],
    ['the testcase', { testcase: 'dist.\0' }, 'testcase'],
    ['the testcase ref_url', { testcase: { name: 't', ref_url: 'x\0' } }, 'testcase.ref_url'],
    ['a group', { groups: ['ok', { description: '\0' }] }, 'groups.1.description'],
    ['a data value', { data: { item: ['a', 'b\0'] } }, 'data.item.1'],
    ['a data key', { data: { 'it\0em': 'a' } }, 'data: keys'],
  ])('refuses a NUL character in %s, naming it', (_what, fields, where) => {
    const r = parseNewResult({ outcome: 'PASSED', testcase: 't', ...fields }, opts);
    expect(!r.ok && r.message).toBe(
      `${where}${where.includes(':') ? '' : ':'} must not contain a NUL character (U+0000)`,
    );
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['the testcase', { testcase: 'dist.\ud800' }, 'testcase: (\\ud800)'],
    ['a group uuid', { groups: [{ uuid: 'g\udfff' }] }, 'groups.0.uuid: (\\udfff)'],
    ['a data value', { data: { item: ['a', '\udc00b'] } }, 'data.item.1: (\\udc00)'],
    ['a data key', { data: { 'it\ud83dem': 'a' } }, 'data: keys (\\ud83d)'],
  ])('refuses a lone surrogate in %s, which would be stored as U+FFFD', (_what, fields, where) => {
    const r = parseNewResult({ outcome: 'PASSED', testcase: 't', ...fields }, opts);
    const [field, unit] = where.split(' (');
    expect(!r.ok && r.message).toBe(
      `${field} must not contain a lone surrogate (${unit}, which is no character`,
    );
    // A pair is one character, and stored.
    expect(parseNewResult({ outcome: 'PASSED', testcase: 'dist.\ud83d\ude00' }, opts).ok).toBe(
      true,
    );
  });

  const VALUE = 'a data value must be a string, number or boolean, or a list of them';
  const GROUP = 'a group must be a uuid or {uuid, description, ref_url}';
  const TESTCASE = 'testcase must be a name or {name, ref_url}';
  it.each<[string, Record<string, unknown>, string]>([
    ['a null data value', { data: { k: null } }, `data.k: ${VALUE}`],
    ['an object as data value', { data: { k: { a: 1 } } }, `data.k: ${VALUE}`],
    ['a null in a data list', { data: { k: [null] } }, `data.k: ${VALUE}`],
    [
      'a data value too long',
      { data: { k: 'x'.repeat(8193) } },
      'data.k: Too big: expected string to have <=8192 characters',
    ],
    ['a number as group', { groups: [5] }, `groups.0: ${GROUP}`],
    [
      'a group uuid too long',
      { groups: [{ uuid: 'x'.repeat(256) }] },
      'groups.0.uuid: Too big: expected string to have <=255 characters',
    ],
    // Not the list's or the record's own message, which would blame the values.
    [
      'too many groups',
      { groups: Array.from({ length: 101 }, (_, i) => `g${i}`) },
      'groups: a result is in at most 100 groups',
    ],
    [
      'a data key too long',
      { data: { ['k'.repeat(256)]: 'v' } },
      'data: a key has at most 255 characters',
    ],
    ['an empty data key', { data: { '': 'v' } }, 'data: a key must not be empty'],
    // Not the checks zod runs on a value of another type: "expected array to have >=1 items".
    ['an empty list as testcase', { testcase: [] }, TESTCASE],
    ['an empty list as testcase name', { testcase: { name: [] } }, TESTCASE],
    ['an empty list as group', { groups: [[]] }, `groups.0: ${GROUP}`],
    ['an empty list as group uuid', { groups: [{ uuid: [] }] }, `groups.0: ${GROUP}`],
  ])('says what is wrong with %s, not zod\'s "Invalid input"', (_what, fields, message) => {
    const r = parseNewResult({ outcome: 'PASSED', testcase: 't', ...fields }, opts);
    expect(!r.ok && r.message).toBe(message);
  });

  it('accepts more outcomes by configuration', () => {
    expect(parseNewResult({ outcome: 'CRASHED', testcase: 't' }, opts).ok).toBe(false);
    expect(
      parseNewResult(
        { outcome: 'CRASHED', testcase: 't' },
        { ...opts, outcomes: [...RESULTSDB_OUTCOMES, 'CRASHED'] },
      ).ok,
    ).toBe(true);
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.anything(), (body) =>
        expect(typeof parseNewResult(body, opts).ok).toBe('boolean'),
      ),
    );
  });
});

describe('parseResultQuery', () => {
  it('reads ResultsDB query strings; other keys are data filters', () => {
    expect(
      parseResultQuery({
        item: 'a,b',
        'arch:like': 'x86*',
        outcome: 'passed',
        limit: '5',
        page: '2',
      }),
    ).toEqual({
      ok: true,
      paging: { page: 2, limit: 5 },
      view: { order: 'desc', distinctOn: [] },
      filter: {
        outcomes: ['PASSED'],
        data: [
          { key: 'item', values: ['a', 'b'], like: false },
          { key: 'arch', values: ['x86*'], like: true },
        ],
      },
    });
  });

  it('merges a data key given more than once, as ResultsDB flattens them', () => {
    const q = parseResultQuery({ item: ['a', 'b,c'], 'arch:like': ['x*', 'i*'] });
    expect(q.ok && q.filter.data).toEqual([
      { key: 'item', values: ['a', 'b', 'c'], like: false },
      { key: 'arch', values: ['x*', 'i*'], like: true },
    ]);
  });

  it('ignores JSONP callback and the jQuery cache-buster _, and empty lists', () => {
    const q = parseResultQuery({ _: '1471267746000', callback: 'f', testcases: ',', groups: ' ' });
    expect(q.ok && q.filter).toEqual({ data: [] });
  });

  it("reads a data filter's values as ResultsDB splits them: untrimmed, an empty one kept", () => {
    const q = parseResultQuery({ item: '', arch: ' , x86_64', 'type:like': '' });
    expect(q.ok && q.filter.data).toEqual([
      { key: 'item', values: [''], like: false },
      { key: 'arch', values: [' ', ' x86_64'], like: false },
      { key: 'type', values: [''], like: true },
    ]);
  });

  it('takes any limit up to 50,000 and reads a negative page as page 0, as ResultsDB', () => {
    // ResultsDB's limit has no maximum: a client reading one page of 5000 gets 5000.
    expect(parseResultQuery({ limit: '5000', page: '-3' })).toMatchObject({
      ok: true,
      paging: { limit: 5000, page: 0 },
    });
    expect(parseResultQuery({ limit: '+7' })).toMatchObject({ paging: { limit: 7, page: 0 } });
    // Past the server's largest page, that page (with a `next` link), not all of the store.
    expect(parseResultQuery({ limit: '999999999' })).toMatchObject({
      paging: { limit: PAGING.apiMaxLimit, page: 0 },
    });
    // However many digits: int() reads them all.
    expect(parseResultQuery({ limit: '99999999999999999999999' })).toMatchObject({
      paging: { limit: PAGING.apiMaxLimit, page: 0 },
    });
  });

  it('refuses an empty outcome, as ResultsDB 2.0 checked each part of the list', () => {
    const refused = (given: string) =>
      `outcome '${given}' not one of ('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION')`;
    for (const outcome of ['', ' ', 'PASSED,', ',FAILED'])
      expect(parseResultQuery({ outcome }, RESULTSDB_OUTCOMES)).toEqual({
        ok: false,
        message: refused(''),
      });
    const q = parseResultQuery({ outcome: ' passed , Failed' }, RESULTSDB_OUTCOMES);
    expect(q.ok && q.filter.outcomes).toEqual(['PASSED', 'FAILED']);
  });

  it('reads testcases and testcases:like together (results of either)', () => {
    const q = parseResultQuery({ testcases: 'a', 'testcases:like': 'b*' });
    expect(q.ok && q.filter).toMatchObject({ testcases: ['a'], testcasesLike: ['b*'] });
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [{ limit: '0' }, /at least 1/],
    [{ limit: '-1' }, /at least 1/],
    // reqparse's type=int answers 400 for text that is no whole number.
    [{ limit: 'x' }, /limit must be a whole number/],
    [{ page: '1.5' }, /whole number/],
    [{ page: '1000001' }, /page must be at most 1000000/],
    [{ page: '99999999999' }, /page must be at most 1000000/],
    [{ outcome: ['PASSED', 'FAILED'] }, /outcome given more than once/],
    [{ since: ['2016-01-01', '2016-01-02'] }, /since given more than once/],
    [{ 'a:b': 'x' }, /not a data key filter/],
    [{ since: 'soon' }, /since/],
    [{ since: '2016-01-01,2016-13-01' }, /since/],
    [{ since: '2016-01-01,2016-01-02,2016-01-03' }, /since/],
    // An empty start is no "until": ResultsDB's parse_date refuses it too.
    [{ since: ',2016-08-16' }, /'since' parameter not in ISO8601 format/],
    [{ since: ' ,2016-08-16' }, /'since' parameter not in ISO8601 format/],
    [{ since: '2016-08-16,' }, /'since' parameter not in ISO8601 format/],
    [{ item: 'a\0' }, /^item: must not contain a NUL character/],
    // A data key too: PostgreSQL fails on it (a 500 before).
    [{ 'a\0b': 'x' }, /^parameter "a\\u0000b": its name must not contain a NUL character/],
    [{ item: Array.from({ length: 101 }, (_, i) => i).join(',') }, /at most 100 values/],
    [{ _distinct_on: 'arch,a:b' }, /_distinct_on: a:b is not a data key/],
  ])('refuses %j', (query, message) => {
    const q = parseResultQuery(query);
    expect(!q.ok && q.message).toMatch(message);
  });

  it('reads since=start and since=start,end; an empty since is a 400, as in ResultsDB', () => {
    const at = (since: string) => {
      const q = parseResultQuery({ since });
      return q.ok ? q.filter.since : q.message;
    };
    expect(at('2016-08-16')).toEqual({ start: '2016-08-16T00:00:00.000000' });
    expect(at(' 2016-08-16 , 2016-08-17 ')).toEqual({
      start: '2016-08-16T00:00:00.000000',
      end: '2016-08-17T00:00:00.000000',
    });
    for (const empty of ['', ' '])
      expect(at(empty)).toBe("'since' parameter not in ISO8601 format");
  });

  it('reads _sort and _distinct_on', () => {
    const q = parseResultQuery({ _sort: 'asc:submit_time', _distinct_on: 'arch, scenario' });
    expect(q.ok && q.view).toEqual({ order: 'asc', distinctOn: ['arch', 'scenario'] });
    expect(q.ok && q.filter.data).toEqual([]);
  });

  it('reads a _sort other than by submit_time as newest first, as ResultsDB falls back', () => {
    for (const _sort of ['desc:id', 'asc:id', 'ASC:submit_time', 'asc', 'garbage', '']) {
      const q = parseResultQuery({ _sort });
      expect(q.ok && q.view.order).toBe('desc');
    }
  });

  it.each<[string, string]>([
    ['2016-08-15', '2016-08-15T00:00:00.000000'],
    ['2016-08', '2016-08-01T00:00:00.000000'],
    ['2016', '2016-01-01T00:00:00.000000'],
    ['20160815', '2016-08-15T00:00:00.000000'],
    ['2016-8-5', '2016-08-05T00:00:00.000000'],
    ['2016-08-15T13:29:06', '2016-08-15T13:29:06.000000'],
    ['2016-08-15T13:29', '2016-08-15T13:29:00.000000'],
    ['2016-08-15 13:29:06Z', '2016-08-15T13:29:06.000000'],
    ['2016-08-15T13:29:06.5', '2016-08-15T13:29:06.500000'],
    ['2016-08-15T13:29:06.123456789Z', '2016-08-15T13:29:06.123456'],
    // Offsets are converted to UTC (ResultsDB dropped them: 13:29:06 there).
    ['2016-08-15T13:29:06+02:00', '2016-08-15T11:29:06.000000'],
    ['2016-08-15T13:29:06.25-0130', '2016-08-15T14:59:06.250000'],
    ['2016-08-15T00:30:00+01', '2016-08-14T23:30:00.000000'],
    ['0050-01-01', '0050-01-01T00:00:00.000000'],
  ])('reads since %s as iso8601.parse_date does -> %s', (given, stored) => {
    expect(parseQueryTime(given)).toEqual({ ok: true, value: stored });
    const q = parseResultQuery({ since: `${given},${given}` });
    expect(q.ok && q.filter.since).toEqual({ start: stored, end: stored });
  });

  it.each([
    '201608',
    '2016-13-01',
    '2016-02-30',
    '2016-08-15T24:00',
    'soon',
    '0001-01-01T00:00+01:00',
  ])('refuses since %s', (given) =>
    expect(parseQueryTime(given)).toEqual({ ok: false, why: null }),
  );

  it.each([
    ['2016-08-15T13:29:06+24:00', '+24:00'],
    ['2016-08-15T13:29:06-2400', '-2400'],
    ['2016-08-15T13:29:06+23:60', '+23:60'],
    ['2016-08-15T13:29:06+99', '+99'],
  ])(
    'refuses since %s, whose offset is 24 h or more, as Python datetime does, naming it',
    (given, offset) => {
      const why = `${JSON.stringify(given)} has the UTC offset ${offset}, and Python's datetime takes only offsets strictly between -24:00 and +24:00`;
      expect(parseQueryTime(given)).toEqual({ ok: false, why });
      // Either part, after ResultsDB's words.
      for (const since of [given, `2016-08-15,${given}`]) {
        const q = parseResultQuery({ since });
        expect(!q.ok && q.message).toBe(`'since' parameter not in ISO8601 format: ${why}`);
      }
    },
  );

  it('takes an offset just under 24 h, and minutes past 59 as timedelta adds them', () => {
    expect(parseQueryTime('2016-08-15T13:29:06+23:59')).toEqual({
      ok: true,
      value: '2016-08-14T13:30:06.000000',
    });
    expect(parseQueryTime('2016-08-15T13:29:06-01:75')).toEqual({
      ok: true,
      value: '2016-08-15T15:44:06.000000',
    });
  });

  it('escapes LIKE characters and makes * a wildcard', () => {
    expect(likePattern('dist.rpm*')).toBe('dist.rpm%');
    expect(likePattern('a_b%c\\*')).toBe('a\\_b\\%c\\\\%');
  });
});

describe('newestPerCombination', () => {
  const at = (id: number, testcase_name: string, submit_time: string) => ({
    id,
    testcase_name,
    submit_time,
  });
  const arch = (result_id: number, data_value: string) => ({
    result_id,
    data_key: 'arch',
    data_value,
  });

  it('keeps the newest of each testcase and value combination, a missing key its own', () => {
    const candidates = [
      at(1, 'dist.rpmlint', '2016-01-01T00:00:01.000000'),
      at(2, 'dist.rpmlint', '2016-01-01T00:00:02.000000'),
      at(3, 'dist.rpmlint', '2016-01-01T00:00:01.000000'),
      at(4, 'dist.rpmlint', '2016-01-01T00:00:00.000000'),
      at(5, 'dist.abicheck', '2016-01-01T00:00:00.000000'),
      at(6, 'dist.abicheck', '2016-01-01T00:00:00.000000'),
    ];
    const data = [
      arch(1, 'x86_64'),
      arch(2, 'x86_64'),
      arch(3, 'i386'),
      arch(5, 'noarch'),
      arch(6, 'noarch'),
    ];
    expect(newestPerCombination(candidates, data, ['arch'])).toEqual([6, 3, 2, 4]);
    expect(newestPerCombination(candidates, data, [])).toEqual([6, 2]);
  });

  it('weighs a result with several values of a key under each value, as ResultsDB joins them', () => {
    // The older one of two values stays the newest for the value the newer one lacks.
    const candidates = [at(1, 't', 'a'), at(2, 't', 'b')];
    const data = [arch(1, 'x86_64'), arch(1, 'i386'), arch(2, 'x86_64')];
    expect(newestPerCombination(candidates, data, ['arch']).sort()).toEqual([1, 2]);
    // A newer result of both values hides the older one of either: once, not per value.
    const newer = [arch(1, 'x86_64'), arch(2, 'x86_64'), arch(2, 'i386')];
    expect(newestPerCombination(candidates, newer, ['arch'])).toEqual([2]);
    // Two keys: each pair of their values.
    const two = [at(1, 't', 'a'), at(2, 't', 'b'), at(3, 't', 'c')];
    const pairs = [
      arch(1, 'x86_64'),
      { result_id: 1, data_key: 'variant', data_value: 'Server' },
      arch(2, 'x86_64'),
      arch(2, 'i386'),
      { result_id: 2, data_key: 'variant', data_value: 'Workstation' },
      arch(3, 'i386'),
      { result_id: 3, data_key: 'variant', data_value: 'Workstation' },
    ];
    expect(newestPerCombination(two, pairs, ['arch', 'variant']).sort()).toEqual([1, 2, 3]);
    // Result 1 (x86_64, Workstation) is hidden by 2, which is of that pair too.
    const workstation = pairs.map((d) =>
      d.data_key === 'variant' ? { ...d, data_value: 'Workstation' } : d,
    );
    expect(newestPerCombination(two, workstation, ['arch', 'variant']).sort()).toEqual([2, 3]);
    // Past 1000 picks, a result's sets of values are one combination of their own.
    const many = Array.from({ length: 1001 }, (_, i) => arch(2, i ? `a${i}` : 'x86_64'));
    expect(newestPerCombination(candidates, [arch(1, 'x86_64'), ...many], ['arch']).sort()).toEqual(
      [1, 2],
    );
  });
});

describe('POST bodies of groups and testcases', () => {
  it('reads a group, giving one without a uuid a new one, leaving out fields not given', () => {
    expect(parseNewGroup({ uuid: 'u', description: 'd' })).toEqual({
      ok: true,
      value: { uuid: 'u', description: 'd' },
    });
    // ResultsDB sets a field only when it is given and not empty.
    expect(parseNewGroup({ uuid: 'u', description: '', ref_url: null })).toEqual({
      ok: true,
      value: { uuid: 'u' },
    });
    const fresh = parseNewGroup({});
    expect(fresh.ok && fresh.value.uuid).toMatch(/^[0-9a-f-]{36}$/);
    // Other keys are ignored, as ResultsDB's parser ignores them.
    expect(parseNewGroup({ uuid: 'u', extra: 1 })).toEqual({ ok: true, value: { uuid: 'u' } });
    // An empty or null uuid is none, as ResultsDB's `if body.uuid`; spaces are a uuid.
    for (const uuid of ['', null]) {
      const none = parseNewGroup({ uuid, description: 'd' });
      expect(none.ok && none.value).toEqual({
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        description: 'd',
      });
    }
    expect(parseNewGroup({ uuid: ' ' })).toEqual({ ok: true, value: { uuid: ' ' } });
    const long = parseNewGroup({ uuid: 'x'.repeat(256) });
    expect(!long.ok && long.message).toBe(
      'uuid: Too big: expected string to have <=255 characters',
    );
    const nul = parseNewGroup({ uuid: 'u', description: 'a\0' });
    expect(!nul.ok && nul.message).toBe('description: must not contain a NUL character (U+0000)');
  });

  it('stores a number or boolean description or ref_url as its text, as ResultsDB 2.0', () => {
    const json = '{"uuid": "u", "description": 0, "ref_url": 1E2}';
    expect(parseNewGroup(JSON.parse(json), json)).toEqual({
      ok: true,
      value: { uuid: 'u', description: '0', ref_url: '100.0' },
    });
    // The text is what is tested for "not empty": `False` is set, as in ResultsDB.
    expect(parseNewGroup({ uuid: 'u', description: false, ref_url: true })).toEqual({
      ok: true,
      value: { uuid: 'u', description: 'False', ref_url: 'True' },
    });
    const list = parseNewGroup({ uuid: 'u', description: ['d'] });
    expect(!list.ok && list.message).toBe('description must be a string, number or boolean');
    const testcase = '{"name": "dist.x", "ref_url": -0.0}';
    expect(parseNewTestcase(JSON.parse(testcase), testcase)).toEqual({
      ok: true,
      value: { name: 'dist.x', ref_url: '-0.0' },
    });
    expect(parseNewTestcase({ name: 'dist.x', ref_url: false })).toEqual({
      ok: true,
      value: { name: 'dist.x', ref_url: 'False' },
    });
    const object = parseNewTestcase({ name: 'dist.x', ref_url: { a: 1 } });
    expect(!object.ok && object.message).toBe('ref_url must be a string, number or boolean');
  });

  it('stores a uuid that is a number or boolean as its text, as ResultsDB 2.0 (unicode)', () => {
    const json = '{"uuid": 1.0, "description": "d"}';
    expect(parseNewGroup(JSON.parse(json), json)).toEqual({
      ok: true,
      value: { uuid: '1.0', description: 'd' },
    });
    // The text is what `if args['uuid']` tests: `0` and `False` are uuids, not "none".
    for (const [uuid, text] of [
      [5, '5'],
      [0, '0'],
      [false, 'False'],
      [true, 'True'],
    ] as const)
      expect(parseNewGroup({ uuid })).toEqual({ ok: true, value: { uuid: text } });
    const list = parseNewGroup({ uuid: ['u'] });
    expect(!list.ok && list.message).toBe('uuid must be a string, number or boolean');
    const digits = `{"uuid": ${'1'.repeat(256)}}`;
    const long = parseNewGroup(JSON.parse(digits), digits);
    expect(!long.ok && long.message).toBe('uuid: a uuid has at most 255 characters');
  });

  it('reads a testcase and refuses one without a name', () => {
    expect(parseNewTestcase({ name: 'dist.x', ref_url: 'http://t' })).toEqual({
      ok: true,
      value: { name: 'dist.x', ref_url: 'http://t' },
    });
    const bad = parseNewTestcase({ ref_url: 'http://t' });
    expect(!bad.ok && bad.message).toBe('name: missing');
    const empty = parseNewTestcase({ name: '' });
    expect(!empty.ok && empty.message).toBe('name: must not be empty');
    const list = parseNewTestcase({ name: ['dist.x'] });
    expect(!list.ok && list.message).toBe('name: Invalid input: expected string, received array');
    const nul = parseNewTestcase({ name: 'dist.\0' });
    expect(!nul.ok && nul.message).toBe('name: must not contain a NUL character (U+0000)');
  });

  it('leaves out a testcase ref_url absent or null, so that the stored one is kept', () => {
    expect(parseNewTestcase({ name: 'dist.x' })).toEqual({ ok: true, value: { name: 'dist.x' } });
    expect(parseNewTestcase({ name: 'dist.x', ref_url: null })).toEqual({
      ok: true,
      value: { name: 'dist.x' },
    });
  });
});

describe('GET /groups and /testcases queries', () => {
  it('reads uuid, and description before description:like, as ResultsDB', () => {
    expect(
      parseGroupQuery({ uuid: 'a, b', description: ' one ,,two', 'description:like': 'x*' }),
    ).toEqual({
      ok: true,
      paging: { page: 0, limit: 20 },
      // uuids as given (ResultsDB's `uuid.split(',')`), blank descriptions skipped.
      filter: { uuids: ['a', ' b'], descriptions: [' one ', 'two'] },
    });
    expect(parseGroupQuery({ uuid: '' })).toEqual({
      ok: true,
      paging: { page: 0, limit: 20 },
      filter: {},
    });
    expect(parseGroupQuery({ 'description:like': 'job *', other: 'x', _: '1' })).toEqual({
      ok: true,
      paging: { page: 0, limit: 20 },
      filter: { descriptionsLike: ['job *'] },
    });
    expect(parseGroupQuery({ uuid: ['a', 'b'] })).toEqual({
      ok: false,
      message: 'uuid given more than once',
    });
  });

  it('reads name before name:like, and pages as results do', () => {
    expect(parseTestcaseQuery({ name: 'a, b', 'name:like': 'x*', limit: '2000' })).toEqual({
      ok: true,
      paging: { page: 0, limit: 2000 },
      filter: { names: ['a', 'b'] },
    });
    expect(parseTestcaseQuery({ 'name:like': 'dist.*', page: '-1' })).toEqual({
      ok: true,
      paging: { page: 0, limit: 20 },
      filter: { namesLike: ['dist.*'] },
    });
    const nul = parseTestcaseQuery({ name: '\0' });
    expect(!nul.ok && nul.message).toMatch(/^name: must not contain a NUL/);
  });
});

describe('the 400 messages ResultsDB words itself', () => {
  const TUPLE = "('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION')";
  const message = (r: { ok: boolean; message?: string }) => (r.ok ? null : r.message);

  it('lists the outcomes of a bad POSTed outcome as the Python tuple it formats', () => {
    expect(message(parseNewResult({ outcome: 'ERROR', testcase: 't' }, opts))).toBe(
      `outcome must be one of ${TUPLE}`,
    );
    const more = { ...opts, outcomes: [...RESULTSDB_OUTCOMES, 'CRASHED'] };
    expect(message(parseNewResult({ outcome: 'x', testcase: 't' }, more))).toBe(
      "outcome must be one of ('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION', 'CRASHED')",
    );
  });

  it('writes a bad queried outcome and the outcomes with Python repr', () => {
    const q = (outcome: string) => message(parseResultQuery({ outcome }, RESULTSDB_OUTCOMES));
    expect(q('foo')).toBe(`outcome 'FOO' not one of ${TUPLE}`);
    expect(q("it's")).toBe(`outcome "IT'S" not one of ${TUPLE}`);
    expect(q('a\tb')).toBe(`outcome 'A\\tB' not one of ${TUPLE}`);
  });

  it('refuses a since that is no time with the words of ResultsDB', () => {
    for (const since of ['soon', ',2016-08-16', '2016-01-01,2016-01-02,2016-01-03'])
      expect(message(parseResultQuery({ since }))).toBe("'since' parameter not in ISO8601 format");
  });

  it('names every data key with a colon as the Python list it formats', () => {
    const r = parseNewResult(
      { outcome: 'PASSED', testcase: 't', data: { 'a:b': 'x', c: 'y', 'd:like': 'z' } },
      opts,
    );
    expect(message(r)).toBe("Colon not allowed in key name: ['a:b', 'd:like']");
  });

  it('says a testcase name is not set after checking the outcome and data keys, as ResultsDB', () => {
    expect(message(parseNewResult({ outcome: 'PASSED', testcase: '' }, opts))).toBe(
      'testcase name not set',
    );
    expect(message(parseNewResult({ outcome: 'PASSED', testcase: { ref_url: 'u' } }, opts))).toBe(
      'testcase.name not set',
    );
    expect(message(parseNewResult({ outcome: 'PASSED', testcase: { name: '' } }, opts))).toBe(
      'testcase name not set',
    );
    expect(message(parseNewResult({ outcome: 'BAD', testcase: '' }, opts))).toBe(
      `outcome must be one of ${TUPLE}`,
    );
    expect(
      message(parseNewResult({ outcome: 'PASSED', testcase: {}, data: { 'a:b': 'c' } }, opts)),
    ).toBe("Colon not allowed in key name: ['a:b']");
  });
});
