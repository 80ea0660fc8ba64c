import { describe, expect, it } from '@jest/globals';
import { byCodePoint, flaskJson } from './flask-json.js';

describe("flaskJson: Flask's jsonify (json.dumps sort_keys=True)", () => {
  it("sorts every object's keys, in arrays and nested objects too", () => {
    expect(
      flaskJson({
        prev: null,
        next: 'n',
        data: [{ id: 1, groups: ['b', 'a'], data: { z: [], a: ['x'] } }],
      }),
    ).toBe(
      '{"data":[{"data":{"a":["x"],"z":[]},"groups":["b","a"],"id":1}],"next":"n","prev":null}',
    );
  });

  it('keeps keys that look like numbers in the order of text ("10" before "9")', () => {
    expect(flaskJson({ 9: 'a', 10: 'b', b: 'c' })).toBe('{"10":"b","9":"a","b":"c"}');
  });

  it('writes values as JSON.stringify does, leaving out undefined members', () => {
    expect(flaskJson({ s: 'é"\n', n: 1.5, t: true, u: undefined, l: [undefined] })).toBe(
      '{"l":[null],"n":1.5,"s":"é\\"\\n","t":true}',
    );
    expect(flaskJson('x')).toBe('"x"');
  });

  it('orders by code point as Python does, not by UTF-16 unit', () => {
    // U+FF5E is one unit over the surrogates of U+1F600, but the smaller code point.
    expect(['\u{1F600}', '\uFF5E', 'a'].sort(byCodePoint)).toEqual(['a', '\uFF5E', '\u{1F600}']);
    expect(['ab', 'a', ''].sort(byCodePoint)).toEqual(['', 'a', 'ab']);
  });
});
