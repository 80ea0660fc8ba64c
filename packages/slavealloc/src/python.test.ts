import { describe, expect, it } from '@jest/globals';
import { ctime, pyFormat, pyRepr, pyStrRepr, TemplateError } from './python.js';

describe('pyStrRepr: Python 2 repr() of a str', () => {
  it.each([
    ['/builds/slave', "'/builds/slave'"],
    ['', "''"],
    ["it's", '"it\'s"'],
    ['say "hi"', '\'say "hi"\''],
    ['both \' and "', "'both \\' and \"'"],
    ['e:\\builds\\moz2_slave', "'e:\\\\builds\\\\moz2_slave'"],
    ['tab\there\nnl\rcr', "'tab\\there\\nnl\\rcr'"],
    ['\u0001\u007f', "'\\x01\\x7f'"],
    ['café', "'caf\\xc3\\xa9'"],
    ['%(x)s', "'%(x)s'"],
  ])('%j -> %s', (text, repr) => expect(pyStrRepr(text)).toBe(repr));

  it('writes ints as digits and NULL as None', () => {
    expect(pyRepr(9010)).toBe('9010');
    expect(pyRepr(null)).toBe('None');
    expect(pyRepr(true)).toBe('True');
  });
});

describe('pyFormat: template % mapping', () => {
  const info = { host: 'bm01', port: 9010, none: null, neg: -5 };

  it('formats %s, %r, %d and %%', () => {
    expect(pyFormat('%(host)s:%(port)s %(host)r %(port)r %(port)d 100%% %(none)s', info)).toBe(
      "bm01:9010 'bm01' 9010 9010 100% None",
    );
  });

  it('honours flags, width and precision', () => {
    expect(
      pyFormat('[%(host)6s][%(host)-6s][%(port)06d][%(neg)05d][%(host).2s][%(port)+d]', info),
    ).toBe('[  bm01][bm01  ][009010][-0005][bm][+9010]');
  });

  it('formats every conversion Python 2 has: %o %x %X %e %f %g %c, with # and C zero rules', () => {
    expect(pyFormat('%(port)o %(port)#o %(port)x %(port)#X %(port)#010x %(neg)#x', info)).toBe(
      '21462 021462 2332 0X2332 0x00002332 -0x5',
    );
    expect(pyFormat('%(port)f %(port).1f %(neg)010.2f %(port)e %(port)E', info)).toBe(
      '9010.000000 9010.0 -000005.00 9.010000e+03 9.010000E+03',
    );
    expect(
      pyFormat('%(port)g %(port).2g %(port)#g %(neg)G %(a)c %(letter)c', {
        ...info,
        a: 65,
        letter: 'z',
      }),
    ).toBe('9010 9e+03 9010.00 -5 A z');
    expect(pyFormat('[%(zero).0d][%(zero)#.0o][%(zero)5.0x]', { zero: 0 })).toBe('[][0][     ]');
  });

  it('parses as Python does: nested parentheses in a key, width on %%', () => {
    expect(pyFormat('%(a(b)c)s', { 'a(b)c': 'x' })).toBe('x');
    expect(pyFormat('[%5%][%(port)-3%]', info)).toBe('[    %][%  ]');
    expect(() => pyFormat('%(missing)%', info)).toThrow(/%\(missing\)%, which is not one of/);
    expect(() => pyFormat('%(a(b)s', info)).toThrow('incomplete format key');
    expect(() => pyFormat('%(port)*d', info)).toThrow(TemplateError);
    expect(() => pyFormat('%(host)x', info)).toThrow('%x format: a number is required, not str');
    expect(() => pyFormat('%(host)f', info)).toThrow('float argument required, not str');
    expect(() => pyFormat('%(host)c', info)).toThrow('%c requires int or char');
    expect(() => pyFormat('%(port)c', info)).toThrow(
      'unsigned byte integer is greater than maximum',
    );
  });

  it('raises what Python would, naming the problem', () => {
    expect(() => pyFormat('%(missing)s', info)).toThrow(TemplateError);
    expect(() => pyFormat('%(missing)s', info)).toThrow(/%\(missing\)s, which is not one of host/);
    expect(() => pyFormat('%(host)d', info)).toThrow('%d format: a number is required, not str');
    expect(() => pyFormat('50%', info)).toThrow('incomplete format');
    expect(() => pyFormat('%(host)q', info)).toThrow("unsupported format character 'q' (0x71)");
    expect(() => pyFormat('%s', info)).toThrow(/has no \(key\)/);
  });
});

describe('ctime', () => {
  it('is time.ctime(): local time, the day padded with a space', () => {
    expect(ctime(new Date(2011, 1, 8, 10, 11, 12))).toBe('Tue Feb  8 10:11:12 2011');
    expect(ctime(new Date(2024, 11, 25, 0, 0, 5))).toBe('Wed Dec 25 00:00:05 2024');
  });
});
