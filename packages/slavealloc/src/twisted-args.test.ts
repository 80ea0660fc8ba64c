import { describe, expect, it } from '@jest/globals';
import { twistedArgs } from './twisted-args.js';

const args = (url: string) => Object.fromEntries(twistedArgs(url));

describe('twistedArgs: the query as Twisted parse_qs(query, keep_blank_values=1) read it', () => {
  it('keeps blank values and drops a pair without "="', () => {
    expect(args('/api/slaves/x?byname=')).toEqual({ byname: [''] });
    expect(args('/api/slaves/x?byname')).toEqual({});
    expect(args('/api/slaves/x?a=1&byname&b=')).toEqual({ a: ['1'], b: [''] });
  });

  it('splits at & and ;, repeated keys in order', () => {
    expect(args('/api/slaves?pool=a;pool=b&pool=c&&;')).toEqual({ pool: ['a', 'b', 'c'] });
  });

  it('reads + as a space, then decodes escapes; one that is no escape stays', () => {
    expect(args('/x?q=a+b%2Bc&%62yname=%E2%84%AA&p=50%off')).toEqual({
      q: ['a b+c'],
      byname: ['\u212a'],
      p: ['50%off'],
    });
    expect(args('/x?k=v=w')).toEqual({ k: ['v=w'] });
  });

  it('is empty without a query', () => {
    expect(args('/api/slaves')).toEqual({});
    expect(args('/api/slaves?')).toEqual({});
  });
});
