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
} from './api.js';
import { likePattern, parseResultQuery } from './filters.js';
import { newestPerCombination } from './latest.js';

const now = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6));
const opts = { outcomes: RESULTSDB_OUTCOMES, now };

describe('submit_time', () => {
  it.each<[number | string | null, string]>([
    [null, '2020-01-02T03:04:05.006000'],
    [1471267746000, '2016-08-15T13:29:06.000000'],
    ['2016-08-15T13:29:06', '2016-08-15T13:29:06.000000'],
    ['2016-08-15T13:29:06.123456Z', '2016-08-15T13:29:06.123456'],
    ['2016-08-15T13:29:06.1', '2016-08-15T13:29:06.100000'],
  ])('%j -> %s', (given, stored) => {
    expect(parseSubmitTime(given, now)).toEqual({ ok: true, value: stored });
  });

  it.each(['2016-02-30T00:00:00', '2016-08-15 13:29:06', 'yesterday', '2016-08-15T13:29:06+02:00'])(
    'refuses %s',
    (given) => expect(parseSubmitTime(given, now).ok).toBe(false),
  );

  it('is written as Python isoformat writes it', () => {
    expect(isoformat('2016-08-15T13:29:06.000000')).toBe('2016-08-15T13:29:06');
    expect(isoformat('2016-08-15T13:29:06.120000')).toBe('2016-08-15T13:29:06.120000');
    expect(storedTime(now)).toBe('2020-01-02T03:04:05.006000');
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

  it.each<[Record<string, unknown>, RegExp]>([
    [{ limit: '0' }, /at least 1/],
    [{ limit: '1001' }, /at most 1000/],
    [{ page: '1.5' }, /whole number/],
    [{ item: ['a', 'b'] }, /item given more than once/],
    [{ 'a:b': 'x' }, /not a data key filter/],
    [{ since: 'soon' }, /since/],
    [{ item: Array.from({ length: 101 }, (_, i) => i).join(',') }, /at most 100 values/],
    [{ _sort: 'desc:id' }, /_sort must be asc:submit_time or desc:submit_time, not "desc:id"/],
    [{ _distinct_on: 'arch,a:b' }, /_distinct_on: a:b is not a data key/],
  ])('refuses %j', (query, message) => {
    const q = parseResultQuery(query);
    expect(!q.ok && q.message).toMatch(message);
  });

  it('reads _sort and _distinct_on', () => {
    const q = parseResultQuery({ _sort: 'asc:submit_time', _distinct_on: 'arch, scenario' });
    expect(q.ok && q.view).toEqual({ order: 'asc', distinctOn: ['arch', 'scenario'] });
    expect(q.ok && q.filter.data).toEqual([]);
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

  it('matches a result with several values of a key only the same set', () => {
    const candidates = [at(1, 't', 'a'), at(2, 't', 'b')];
    const data = [arch(1, 'x86_64'), arch(1, 'i386'), arch(2, 'x86_64')];
    expect(newestPerCombination(candidates, data, ['arch'])).toEqual([1, 2]);
  });
});

describe('POST bodies of groups and testcases', () => {
  it('reads a group, giving one without a uuid a new one', () => {
    expect(parseNewGroup({ uuid: 'u', description: 'd' })).toEqual({
      ok: true,
      value: { uuid: 'u', description: 'd', ref_url: null },
    });
    const fresh = parseNewGroup({});
    expect(fresh.ok && fresh.value.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseNewGroup({ uuid: 'u', extra: 1 }).ok).toBe(false);
  });

  it('reads a testcase and refuses one without a name', () => {
    expect(parseNewTestcase({ name: 'dist.x', ref_url: 'http://t' })).toEqual({
      ok: true,
      value: { name: 'dist.x', ref_url: 'http://t' },
    });
    const bad = parseNewTestcase({ ref_url: 'http://t' });
    expect(!bad.ok && bad.message).toMatch(/^name: /);
  });
});
