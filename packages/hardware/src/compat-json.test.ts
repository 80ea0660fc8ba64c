import { describe, expect, it } from '@jest/globals';
import { pythonJsonDumps } from './compat-json.js';

// Expected bytes are what Python 2.7.18's json.dumps printed for the same values.
describe('Python 2 json.dumps', () => {
  it('writes a bare string as the original /machines/<id> did', () => {
    expect(pythonJsonDumps('2018-11-08T08:47:50.939514')).toBe('"2018-11-08T08:47:50.939514"');
  });

  it('indents lists with the trailing spaces of Python 2', () => {
    const values = [
      { machine: 't-linux64-ms-100', datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50.939514' },
      { machine: 't-mojave-r7-153', datacenter: 'mdc2', lastseen: '2019-06-26T19:36:10.521000' },
    ];
    expect(pythonJsonDumps(values, 2)).toBe(
      '[\n  {\n    "machine": "t-linux64-ms-100", \n    "datacenter": "mdc1", \n    "lastseen": "2018-11-08T08:47:50.939514"\n  }, \n' +
        '  {\n    "machine": "t-mojave-r7-153", \n    "datacenter": "mdc2", \n    "lastseen": "2019-06-26T19:36:10.521000"\n  }\n]',
    );
    expect(pythonJsonDumps([], 2)).toBe('[]');
  });

  it('escapes everything outside printable ASCII, as ensure_ascii does', () => {
    expect(pythonJsonDumps('x\u00e9\u{1f600}"\\\n\u0001\u007f')).toBe(
      '"x\\u00e9\\ud83d\\ude00\\"\\\\\\n\\u0001\\u007f"',
    );
    expect(pythonJsonDumps({ a: [1, {}], b: [] }, 2)).toBe(
      '{\n  "a": [\n    1, \n    {}\n  ], \n  "b": []\n}',
    );
  });
});
