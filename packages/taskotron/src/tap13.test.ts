import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RESULT_LIMITS, ResultsFormatError } from './result-yaml.js';
import { parseTap13, tapResults } from './tap13.js';

/** libtaskotron's output as the pytap13 test captured it (part E.5). */
const SAMPLE = `TAP version 13
1..1
ok - $CHECKNAME for Koji build xchat.rpm
  ---
  details:
    output: |
      foo
      bar
      baz
  item: xchat.rpm
  outcome: PASSED
  summary: RPMLINT PASSED for xchat.rpm
  type: koji_build
  ...
`;

describe('parseTap13', () => {
  it('reads the libtaskotron sample: plan, test line and YAML block', () => {
    expect(parseTap13(SAMPLE)).toEqual([
      {
        plan: { first: 1, last: 1 },
        tests: [
          {
            ok: true,
            id: 1,
            description: '$CHECKNAME for Koji build xchat.rpm',
            yaml: {
              details: { output: 'foo\nbar\nbaz\n' },
              item: 'xchat.rpm',
              outcome: 'PASSED',
              summary: 'RPMLINT PASSED for xchat.rpm',
              type: 'koji_build',
            },
          },
        ],
      },
    ]);
  });

  it('numbers missing ids, reads ids, not ok and directives', () => {
    const [doc] = parseTap13(
      '1..4 # four\nok\nnot ok 2 broken # TODO later\nok 3 # SKIP no network\nNOT OK\n',
    );
    expect(doc!.plan).toEqual({ first: 1, last: 4, comment: 'four' });
    expect(doc!.tests).toEqual([
      { ok: true, id: 1, description: '' },
      { ok: false, id: 2, description: 'broken', directive: { kind: 'TODO', reason: 'later' } },
      { ok: true, id: 3, description: '', directive: { kind: 'SKIP', reason: 'no network' } },
      { ok: false, id: 4, description: '' },
    ]);
  });

  it('reads several documents back to back, which pytap13 refused (phab T205)', () => {
    const docs = parseTap13(
      SAMPLE + SAMPLE.replace('ok -', 'not ok -').replace('PASSED', 'FAILED'),
    );
    expect(docs).toHaveLength(2);
    expect(docs.map((d) => d.tests[0]!.ok)).toEqual([true, false]);
  });

  it('ignores lines it does not know', () => {
    expect(parseTap13('# comment\nrandom output\nok 1 fine\n')[0]!.tests).toHaveLength(1);
    expect(parseTap13('')).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['descending ids', 'ok 2\nok 1\n', /TAP line 2: test 1 comes after test 2/],
    [
      'an unclosed YAML block',
      'ok 1\n  ---\n  item: x\n',
      /TAP line 2: the YAML block is not closed/,
    ],
    [
      'a broken YAML block',
      'ok 1\n  ---\n  item: [x\n  ...\n',
      /TAP line 2: the YAML block is not YAML/,
    ],
    ['a YAML block before any test', '  ---\n  a: 1\n  ...\n', /before any test line/],
    [
      'two YAML blocks for one test',
      'ok 1\n  ---\n  a: 1\n  ...\n  ---\n  b: 1\n  ...\n',
      /a second YAML block/,
    ],
    ['two plans', '1..1\n1..2\n', /a second plan/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseTap13(text)).toThrow(ResultsFormatError);
    expect(() => parseTap13(text)).toThrow(message);
  });

  it('never throws anything but ResultsFormatError, whatever the text', () => {
    const line = fc.oneof(
      fc.constantFrom(
        'TAP version 13',
        '1..3',
        'ok',
        'not ok 2 x # SKIP',
        '  ---',
        '  ...',
        '  item: x',
        '  - [',
        '',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        try {
          tapResults(lines.join('\n'));
        } catch (err) {
          expect(err).toBeInstanceOf(ResultsFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('tapResults', () => {
  it('makes the sample one result: summary as note, details dropped with a warning', () => {
    expect(tapResults(SAMPLE)).toEqual({
      results: [
        {
          item: 'xchat.rpm',
          type: 'koji_build',
          outcome: 'PASSED',
          note: 'RPMLINT PASSED for xchat.rpm',
          keyvals: {},
        },
      ],
      warnings: ['TAP document 1, test 1: details dropped: not a string or a list of strings'],
    });
  });

  it('takes the checkname from the test line and the outcome from ok / not ok', () => {
    const text =
      'not ok 1 - rpmlint for Koji build a-1-1.fc30\n  ---\n  item: a-1-1.fc30\n  type: koji_build\n  arch: x86_64\n  ...\nok 2\n';
    expect(tapResults(text)).toEqual({
      results: [
        {
          item: 'a-1-1.fc30',
          type: 'koji_build',
          outcome: 'FAILED',
          checkname: 'rpmlint',
          keyvals: { arch: 'x86_64' },
        },
      ],
      warnings: ['TAP document 1, test 2: no YAML block, no result'],
    });
  });

  it('reads the YAML block as PyYAML does, numbers and booleans as ResultsDB stored them', () => {
    const text = 'ok\n  ---\n  item: a\n  score: 1.0\n  runs: [1e3, 0x1F, on]\n  ...\n';
    expect(tapResults(text).results[0]!.keyvals).toEqual({
      score: '1.0',
      runs: ['1e3', '31', 'True'],
    });
  });

  it('validates outcomes and items as ResultYAML does', () => {
    expect(() => tapResults('ok\n  ---\n  item: a\n  outcome: GREAT\n  ...\n')).toThrow(
      /outcome "GREAT"/,
    );
    expect(() => tapResults('ok\n  ---\n  outcome: PASSED\n  ...\n')).toThrow(/item is required/);
    expect(() => tapResults('ok\n  ---\n  - a\n  ...\n')).toThrow(/must be a mapping/);
  });

  it('refuses YAML blocks whose aliases repeat a value past the total size', () => {
    const value = 'A'.repeat(RESULT_LIMITS.valueChars - 1000);
    const refs = Array.from({ length: 100 }, () => '*s').join(', ');
    const block = `ok - dist.x for a\n  ---\n  item: a\n  s: &s ${value}\n  big: [${refs}]\n  ...\n`;
    const text = `TAP version 13\n${block.repeat(1)}`;
    expect(tapResults(text).results).toHaveLength(1);
    expect(() => tapResults(`TAP version 13\n${block.repeat(2)}`)).toThrow(ResultsFormatError);
    expect(() => tapResults(`TAP version 13\n${block.repeat(2)}`)).toThrow(
      /more than 10485760 characters/,
    );
  });
});
