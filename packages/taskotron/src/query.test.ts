import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  fieldValue,
  fromPythonRegex,
  matches,
  QueryError,
  queryProblem,
  toRegExp,
} from './query.js';

const build = {
  message_type: 'KojiBuildPackageCompleted',
  item: 'cups-2.2.0-9.fc25',
  name: 'cups',
  critpath_pkgs: ['cups', 'glibc'],
  _msg: { instance: 'primary', new: 1 },
};
const tag = { message_type: 'KojiTagChanged', tag: 'f25-updates-testing-pending' };

describe('fromPythonRegex', () => {
  it.each<[string, string, string]>([
    ['\\A and \\Z', '\\Af[0-9]+\\Z', '(?<![\\s\\S])f[0-9]+(?![\\s\\S])'],
    ['escaped backslashes stay', '\\\\A\\\\Z', '\\\\A\\\\Z'],
    ['inside a class they stay', '[\\A\\Z]', '[\\A\\Z]'],
    ['named groups', '(?P<rel>[0-9]+)-(?P=rel)', '(?<rel>[0-9]+)-\\k<rel>'],
    ['a ] opening a class', '[]a][^]b]', '[\\]a][^\\]b]'],
    [
      'everything else as written',
      '^f[0-9]{2}-updates(-testing)?-pending$',
      '^f[0-9]{2}-updates(-testing)?-pending$',
    ],
  ])('translates %s', (_what, python, js) => {
    expect(fromPythonRegex(python)).toBe(js);
  });
});

describe('matches', () => {
  it.each<[string, unknown, boolean]>([
    ['equality', { message_type: 'KojiBuildPackageCompleted' }, true],
    ['equality, other value', { message_type: 'KojiTagChanged' }, false],
    [
      'several fields: all of them',
      { message_type: 'KojiBuildPackageCompleted', name: 'vim' },
      false,
    ],
    ['an array field contains the value', { critpath_pkgs: 'glibc' }, true],
    ['a dotted path', { '_msg.instance': 'primary' }, true],
    ['a missing field equals null', { nothing: null }, true],
    ['$eq', { name: { $eq: 'cups' } }, true],
    ['$ne', { name: { $ne: 'cups' } }, false],
    ['$in', { name: { $in: ['cups', 'vim'] } }, true],
    ['$in, absent', { name: { $in: ['vim'] } }, false],
    ['$nin', { name: { $nin: ['firefox', 'kernel'] } }, true],
    ['$in and $nin together', { name: { $in: ['cups'], $nin: ['cups'] } }, false],
    ['$regex, /.../ form', { item: { $regex: '/^cups-.*\\.fc25$/' } }, true],
    ['$regex searches anywhere', { item: { $regex: 'fc25' } }, true],
    ['$regex with flags', { name: { $regex: '/^CUPS$/i' } }, true],
    ['$regex with $options', { name: { $regex: '^CUPS$', $options: 'i' } }, true],
    ['$regex on a missing field', { nope: { $regex: '/x/' } }, false],
    ['$not at the top, as python-mongoquery read it', { $not: { name: 'vim' } }, true],
    ['$not at the top, matching', { $not: { name: { $in: ['cups'] } } }, false],
    [
      '$regex with \\A and \\Z, as Python reads them',
      { item: { $regex: '/\\Acups-.*\\Z/' } },
      true,
    ],
    ['$regex with \\Z is no letter Z', { name: { $regex: '/^cupsZ?\\Z/' } }, true],
    ['$regex with \\A, not at the start', { item: { $regex: '/\\A2\\.2/' } }, false],
    ['$regex with a Python named group', { item: { $regex: '/^(?P<n>c)up(?P=n)?s-/' } }, true],
    ['$exists true', { name: { $exists: true } }, true],
    ['$exists false', { tag: { $exists: false } }, true],
    ['$not', { name: { $not: { $in: ['vim'] } } }, true],
    ['$not with a /regex/', { name: { $not: '/^cu/' } }, false],
    ['top-level $or', { $or: [{ name: 'vim' }, { name: 'cups' }] }, true],
    ['top-level $and', { $and: [{ name: 'cups' }, { critpath_pkgs: 'vim' }] }, false],
    ['top-level $nor', { $nor: [{ name: 'vim' }] }, true],
    ['an empty query matches everything', {}, true],
  ])('%s', (_what, query, expected) => {
    expect(matches(query, build)).toBe(expected);
  });

  it('field-level $and with $not, as the production rpmdeplint rule', () => {
    const q = {
      message_type: 'KojiTagChanged',
      tag: {
        $and: [
          { $regex: '/^f[0-9]{2}-updates(-testing)?-pending$/' },
          { $not: { $regex: '/^f33-.*/' } },
        ],
      },
    };
    expect(matches(q, tag)).toBe(true);
    expect(matches(q, { ...tag, tag: 'f33-updates-pending' })).toBe(false);
    expect(matches(q, { ...tag, tag: 'f25-updates-candidate' })).toBe(false);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown operator', { name: { $like: 'x' } }, /when\.name\.\$like: unknown operator/],
    ['an unknown top-level operator', { $where: 'x' }, /when\.\$where: unknown top-level operator/],
    ['$in without a list', { name: { $in: 'cups' } }, /when\.name\.\$in: needs a list/],
    ['$and without a list', { $and: { name: 'x' } }, /needs a list/],
    ['an empty $or', { $or: [] }, /non-empty list/],
    ['a broken regex', { name: { $regex: '/(/' } }, /invalid regex/],
    ['unsupported flags', { name: { $regex: '/x/g' } }, /unsupported regex flags/],
    ['$exists not boolean', { name: { $exists: 1 } }, /true or false/],
    ['operators mixed with fields', { name: { $in: [], other: 1 } }, /mixes operators/],
    ['a query that is no mapping', ['x'], /needs a mapping/],
    ['$options alone', { name: { $options: 'i' } }, /only goes with \$regex/],
    ['$not at the top without a query', { $not: 'x' }, /when\.\$not: needs a mapping/],
  ])('rejects %s, naming the key', (_what, query, message) => {
    expect(() => matches(query, build)).toThrow(QueryError);
    expect(() => matches(query, build)).toThrow(message);
    expect(queryProblem(query)?.message).toMatch(message);
  });

  it('finds a bad branch even where another one decides', () => {
    expect(queryProblem({ $or: [{}, { name: { $bad: 1 } }] })?.path).toBe('when.$or[1].name.$bad');
    expect(queryProblem({ name: 'x', tag: { $regex: '/[/' } })?.path).toBe('when.tag.$regex');
    expect(queryProblem({ name: 'x' })).toBeNull();
  });

  it('reads own fields only', () => {
    expect(fieldValue({}, 'constructor')).toBeUndefined();
    expect(fieldValue({ a: [{ b: 1 }] }, 'a.0.b')).toBe(1);
    expect(matches({ 'toString.call': { $exists: true } }, {})).toBe(false);
  });

  it('reads a path through a list in each element, as mongoquery and MongoDB do', () => {
    // A Bodhi update: `_msg.update.builds.nvr` is every build's nvr.
    const update = {
      _msg: { update: { builds: [{ nvr: 'cups-2.2.0-9.fc25' }, { nvr: 'glibc-2.24-4.fc25' }] } },
    };
    expect(fieldValue(update, '_msg.update.builds.nvr')).toEqual([
      'cups-2.2.0-9.fc25',
      'glibc-2.24-4.fc25',
    ]);
    expect(matches({ '_msg.update.builds.nvr': 'glibc-2.24-4.fc25' }, update)).toBe(true);
    expect(matches({ '_msg.update.builds.nvr': 'vim-9-1.fc25' }, update)).toBe(false);
    expect(matches({ '_msg.update.builds.nvr': { $regex: '/^glibc-/' } }, update)).toBe(true);
    expect(
      matches({ '_msg.update.builds.nvr': { $in: ['vim', 'cups-2.2.0-9.fc25'] } }, update),
    ).toBe(true);
    expect(matches({ '_msg.update.builds.epoch': { $exists: false } }, update)).toBe(true);
    expect(matches({ '_msg.update.builds.1.nvr': 'glibc-2.24-4.fc25' }, update)).toBe(true);
    expect(fieldValue({ a: [1, 2] }, 'a.length')).toBeUndefined();
  });

  it('reads /.../ with flags, and bare patterns', () => {
    expect(toRegExp('/a.c/s', undefined, 'p').flags).toBe('s');
    expect(toRegExp('a/b', undefined, 'p').source).toBe('a\\/b');
    expect(() => toRegExp(5, undefined, 'p')).toThrow(/needs a string/);
  });

  it('never throws anything but QueryError, whatever the query and data', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (query, data) => {
        try {
          expect(typeof matches(query, data)).toBe('boolean');
        } catch (err) {
          expect(err).toBeInstanceOf(QueryError);
        }
      }),
    );
  });
});
