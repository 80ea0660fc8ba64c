import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CHECK_OUTCOMES, exitCodeOf, outcomeSummary } from './outcomes.js';
import {
  exportResultYaml,
  parseResultYaml,
  RESULT_LIMITS,
  ResultsFormatError,
  type CheckResult,
} from './result-yaml.js';

const GOOD = `
results:
  - item: xchat-0.5-1.fc20
    type: koji_build
    checkname: dist.rpmlint
    outcome: PASSED
    note: 5 ERRORS, 10 WARNINGS
    artifact: xchat-0.5-1.fc20.x86_64.log
    arch: x86_64
  - item: xchat-0.5-1.fc20
    type: koji_build
    checkname: dist.rpmlint
    arch: [x86_64, noarch]
    count: 3
    _internal: {resultsdb_result_id: 5}
`;

describe('parseResultYaml', () => {
  it('reads ResultYAML: named keys, extra keys as data, missing outcome is NEEDS_INSPECTION', () => {
    const { results, warnings } = parseResultYaml(GOOD);
    expect(results).toEqual([
      {
        item: 'xchat-0.5-1.fc20',
        type: 'koji_build',
        checkname: 'dist.rpmlint',
        outcome: 'PASSED',
        note: '5 ERRORS, 10 WARNINGS',
        artifact: 'xchat-0.5-1.fc20.x86_64.log',
        keyvals: { arch: 'x86_64' },
      },
      {
        item: 'xchat-0.5-1.fc20',
        type: 'koji_build',
        checkname: 'dist.rpmlint',
        outcome: 'NEEDS_INSPECTION',
        keyvals: { arch: ['x86_64', 'noarch'], count: '3' },
      },
    ]);
    expect(warnings).toEqual(['ResultYAML: results[1]: reserved key _internal dropped']);
  });

  it('reads null or no results as none, and an empty file as none', () => {
    expect(parseResultYaml('results:\n').results).toEqual([]);
    expect(parseResultYaml('results: []\n').results).toEqual([]);
    expect(parseResultYaml('').results).toEqual([]);
  });

  it('upper-cases outcomes and accepts every checkb outcome', () => {
    const text = ['passed', 'INFO', 'Failed', 'NEEDS_INSPECTION', 'ABORTED', 'CRASHED']
      .map((o) => `  - {item: x, outcome: ${o}}`)
      .join('\n');
    expect(parseResultYaml(`results:\n${text}\n`).results.map((r) => r.outcome)).toEqual([
      ...CHECK_OUTCOMES,
    ]);
  });

  it('reads several documents one after the other', () => {
    const text =
      'results:\n  - {item: a, outcome: PASSED}\n---\nresults:\n  - {item: b, outcome: FAILED}\n';
    expect(parseResultYaml(text).results.map((r) => r.item)).toEqual(['a', 'b']);
  });

  // What libtaskotron posted: PyYAML's value (YAML 1.1) as Python's json wrote it, which
  // ResultsDB read back and stored as str() (checked against PyYAML 6 and Python 3).
  it.each([
    ['1', '1'],
    ['1.0', '1.0'],
    ['1.', '1.0'],
    ['.5', '0.5'],
    ['-0.0', '-0.0'],
    ['1_000.5', '1000.5'],
    ['1.0e+3', '1000.0'],
    ['1.5e-7', '1.5e-07'],
    ['0.00001', '1e-05'],
    ['100000000000000000.0', '1e+17'],
    ['1.0e+400', 'inf'],
    ['-.inf', '-inf'],
    ['.NaN', 'nan'],
    ['1:30.5', '90.5'],
    ['+1', '1'],
    ['-0', '0'],
    ['007', '7'],
    ['0x1F', '31'],
    ['0b101', '5'],
    ['1_000', '1000'],
    ['1:30', '90'],
    ['-1:30', '-90'],
    ['12345678901234567890', '12345678901234567890'],
    ['yes', 'True'],
    ['Off', 'False'],
    ['true', 'True'],
    // Not numbers or booleans in YAML 1.1: as written.
    ['1e3', '1e3'],
    ['1.0e3', '1.0e3'],
    ['-.5', '-.5'],
    ['08', '08'],
    ['0o17', '0o17'],
    ['y', 'y'],
    ['tRue', 'tRue'],
    ["'1.0'", '1.0'],
  ])('stores data %s as ResultsDB stored what libtaskotron posted: %s', (yaml, stored) => {
    const text = `results:\n  - {item: a, v: ${yaml}, list: [${yaml}, 2.50]}\n`;
    expect(parseResultYaml(text).results[0]!.keyvals).toEqual({ v: stored, list: [stored, '2.5'] });
  });

  it('reads numbers in the named keys as PyYAML does too', () => {
    expect(parseResultYaml('results:\n  - {item: 1.0, note: yes}\n').results[0]).toMatchObject({
      item: '1.0',
      note: 'True',
    });
  });

  it('refuses an int Python would not write (over 4300 digits)', () => {
    expect(
      parseResultYaml(`results:\n  - {item: a, v: ${'9'.repeat(4300)}}\n`).results[0]!.keyvals.v,
    ).toHaveLength(4300);
    expect(() => parseResultYaml(`results:\n  - {item: a, v: ${'9'.repeat(4301)}}\n`)).toThrow(
      /over 4300 digits/,
    );
    expect(() => parseResultYaml(`results:\n  - {item: a, v: 0x${'f'.repeat(20_000)}}\n`)).toThrow(
      ResultsFormatError,
    );
  });

  it('drops data it cannot store, with a warning each', () => {
    const text = 'results:\n  - {item: a, "x:y": 1, nested: {a: 1}, lists: [[1]], ok: true}\n';
    const { results, warnings } = parseResultYaml(text);
    expect(results[0]!.keyvals).toEqual({ ok: 'True' });
    expect(warnings).toEqual([
      'ResultYAML: results[0]: key "x:y" dropped: ResultsDB keys may not contain \':\'',
      'ResultYAML: results[0]: nested dropped: not a string or a list of strings',
      'ResultYAML: results[0]: lists dropped: not a string or a list of strings',
    ]);
  });

  it.each<[string, string, RegExp]>([
    ['not YAML', 'results: [\n', /ResultYAML is not YAML \(line \d+\)/],
    ['a root that is a list', '- item: a\n', /the root must be a mapping with results/],
    ['no results key', 'result: []\n', /the root must be a mapping with results/],
    ['results not a list', 'results: {item: a}\n', /results must be a list/],
    ['a result that is a string', 'results: [x]\n', /results\[0\]: a result must be a mapping/],
    ['no item', 'results: [{outcome: PASSED}]\n', /results\[0\]: item is required/],
    ['an empty item', 'results: [{item: " "}]\n', /item is required/],
    [
      'an unknown outcome',
      'results: [{item: a, outcome: ERROR}]\n',
      /outcome "ERROR" is not one of PASSED, INFO/,
    ],
    [
      'an outcome that is a list',
      'results: [{item: a, outcome: [PASSED]}]\n',
      /outcome .* is not one of/,
    ],
    ['a note that is a mapping', 'results: [{item: a, note: {x: 1}}]\n', /note must be a string/],
    ['a duplicate key', 'results: [{item: a, item: b}]\n', /not YAML/],
    [
      'a second document without results',
      'results: []\n---\n- 1\n',
      /document 2: the root must be/,
    ],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseResultYaml(text)).toThrow(ResultsFormatError);
    expect(() => parseResultYaml(text)).toThrow(message);
  });

  it('refuses hostile sizes', () => {
    expect(() => parseResultYaml('#'.repeat(RESULT_LIMITS.bytes + 1))).toThrow(/larger than/);
    const many = `results:\n${'  - {item: a}\n'.repeat(RESULT_LIMITS.results + 1)}`;
    expect(() => parseResultYaml(many)).toThrow(/more than 10000 results/);
  });

  it('keeps alias bombs cheap: nested values are dropped, not expanded', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]}]`,
      ),
      'results:',
      '  - {item: x, bomb: *j}',
    ].join('\n');
    const { results } = parseResultYaml(`${bomb}\n`);
    expect(results[0]!.keyvals).toEqual({});
  });

  it('refuses aliases that repeat a value past the total size, however small the file', () => {
    // 145 KB of YAML standing for 1.3 GB of data: the runner would build that to report it.
    const value = 'A'.repeat(RESULT_LIMITS.valueChars - 1000);
    const refs = Array.from({ length: 20_000 }, () => '*s').join(', ');
    const text = `x: &s ${value}\nresults:\n  - {item: a, big: [${refs}]}\n`;
    expect(Buffer.byteLength(text)).toBeLessThan(RESULT_LIMITS.bytes / 50);
    expect(() => parseResultYaml(text)).toThrow(ResultsFormatError);
    expect(() => parseResultYaml(text)).toThrow(/more than 10485760 characters/);
    // The same data spread over results, each under every other limit.
    const spread = `x: &s ${value}\nresults:\n${'  - {item: a, big: [*s, *s, *s, *s]}\n'.repeat(50)}`;
    expect(() => parseResultYaml(spread)).toThrow(/more than 10485760 characters/);
  });

  it('counts list items, so aliases repeating a list of empty strings are refused too', () => {
    // 600 KB standing for 20 million list items (160 MB of pointers; 10,000 copies: an OOM).
    const list = Array.from({ length: 200_000 }, () => "''").join(',');
    const text = `x: &l [${list}]\nresults:\n${'  - {item: a, k: *l}\n'.repeat(100)}`;
    expect(() => parseResultYaml(text)).toThrow(/more than 10485760 characters/);
  });

  it('takes a file of the largest size written out without aliases', () => {
    const value = 'A'.repeat(RESULT_LIMITS.valueChars - 1000);
    const line = `  - {item: a, big: ${value}}\n`;
    const count = Math.floor((RESULT_LIMITS.bytes - 20) / line.length);
    expect(parseResultYaml(`results:\n${line.repeat(count)}`).results).toHaveLength(count);
  });

  it('never throws anything but ResultsFormatError, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        try {
          parseResultYaml(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ResultsFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads back what it exports', () => {
    // Words YAML 1.1 would read as numbers or booleans are written quoted, and read back as text.
    const word = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9 ._-]{1,20}$/).filter((s) => s.trim() !== ''),
      fc.constantFrom('yes', 'off', '1.0', '0x1F', '1:30', '007', '.inf', '1e3', '~'),
    );
    const result = fc.record({
      item: word,
      outcome: fc.constantFrom('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION'),
      type: word,
      checkname: word,
      note: word,
      keyvals: fc.dictionary(
        fc
          .stringMatching(/^[a-z][a-z_]{0,10}$/)
          .filter(
            (k) =>
              !['item', 'type', 'outcome', 'note', 'results', 'checkname', 'artifact'].includes(k),
          ),
        fc.oneof(word, fc.array(word, { maxLength: 3 })),
      ),
    });
    fc.assert(
      fc.property(fc.array(result, { maxLength: 5 }), (results: CheckResult[]) => {
        expect(parseResultYaml(exportResultYaml(results)).results).toEqual(results);
      }),
      { numRuns: 100 },
    );
  });
});

describe('outcomes', () => {
  it('exit code 0 only when all are PASSED or INFO', () => {
    expect(exitCodeOf([])).toBe(0);
    expect(exitCodeOf(['PASSED', 'INFO'])).toBe(0);
    expect(exitCodeOf(['PASSED', 'FAILED'])).toBe(100);
    expect(exitCodeOf(['CRASHED'])).toBe(100);
  });

  it('summarises in priority order', () => {
    expect(outcomeSummary(['FAILED', 'PASSED', 'INFO', 'PASSED', 'FAILED', 'PASSED'])).toBe(
      '3 PASSED, 1 INFO, 2 FAILED',
    );
  });
});
