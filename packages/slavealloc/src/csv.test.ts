import { describe, expect, it } from '@jest/globals';
import { CsvError, csvPort, csvRecords, hasSpacesAround } from './csv.js';

const COLUMNS = ['name', 'basedir'] as const;
const records = (text: string) => csvRecords(text, 'slaves.csv', COLUMNS);
/** What csvRecords throws for `text`, as its message. */
const refusal = (text: string) => {
  try {
    records(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CsvError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(text)} was read`);
};

describe('the import CSV, read as Python 2 csv.DictReader read it', () => {
  it('quotes, "" for a quote, a quoted line end, CRLF, blank lines skipped, extra columns ignored', () => {
    expect(records('name,extra,basedir\r\n"a,1",x,"/b ""q"""\r\n\r\nb,y,"two\nlines"\n')).toEqual([
      { line: 2, record: { name: 'a,1', basedir: '/b "q"' } },
      { line: 4, record: { name: 'b', basedir: 'two\nlines' } },
    ]);
  });

  it('keeps spaces in values, as the csv module did: a quote after a space is a character', () => {
    expect(records('name,basedir\n linux-1 , /b\n"x" , "q"\n')).toEqual([
      { line: 2, record: { name: ' linux-1 ', basedir: ' /b' } },
      { line: 3, record: { name: 'x ', basedir: ' "q"' } },
    ]);
  });

  it('a header name with spaces around it is another name: refused, showing the header as read', () => {
    expect(refusal('name, basedir\nlinux-1,/b\n')).toBe(
      'slaves.csv, line 1: the header lacks basedir: it reads "name"," basedir"; a name with spaces around it is another name, as for the original',
    );
    expect(refusal('\n\nname ,basedir \n')).toBe(
      'slaves.csv, line 3: the header lacks name, basedir: it reads "name ","basedir "; a name with spaces around it is another name, as for the original',
    );
    expect(refusal('name,dir\n')).toBe(
      'slaves.csv, line 1: the header lacks basedir: it reads "name","dir"',
    );
  });

  it('refuses an empty file, a short line and an unclosed quote, naming file and line', () => {
    expect(refusal('')).toBe('slaves.csv: is empty; it needs a header row: name,basedir');
    expect(refusal('name,basedir\nlinux-1\n')).toBe(
      'slaves.csv, line 2: has 1 fields, the header 2',
    );
    expect(refusal('name,basedir\nlinux-1,"/b\n')).toBe(
      'slaves.csv, line 2: a quoted field is not closed',
    );
  });

  it('a BOM before the header is not part of its first name', () => {
    expect(records('\uFEFFname,basedir\nlinux-1,/b\n')).toEqual([
      { line: 2, record: { name: 'linux-1', basedir: '/b' } },
    ]);
  });
});

describe('spaces around a value', () => {
  it('any white space at either end', () => {
    expect([' a', 'a ', '\ta', 'a\u00A0', ' '].map(hasSpacesAround)).toEqual(Array(5).fill(true));
    expect(['a', 'a b', ''].map(hasSpacesAround)).toEqual([false, false, false]);
  });
});

describe('a port column, as Python 2 int() read it', () => {
  const where = { file: 'masters.csv', line: 3, column: 'pb_port' };

  it('takes digits with a sign and C white space around them', () => {
    const read = ['9001', ' 9001', '9001 ', '\t9001\r\n', '\v\f9001', '+9001', '09001', '-0', '0'];
    expect(read.map((v) => csvPort(v, where))).toEqual([
      9001, 9001, 9001, 9001, 9001, 9001, 9001, 0, 0,
    ]);
    expect(Object.is(csvPort('-0', where), 0)).toBe(true);
    expect(csvPort('65535', where)).toBe(65535);
  });

  it('an empty value is `empty` where there is one; white space alone is no number', () => {
    expect(csvPort('', where, 0)).toBe(0);
    expect(() => csvPort(' ', where, 0)).toThrow(
      new CsvError('masters.csv', 3, 'pb_port " " is not a port number'),
    );
  });

  it('refuses anything else, quoting the value as read', () => {
    for (const value of [
      '',
      '9 001',
      '90.1',
      '1e3',
      '0x10',
      '-1',
      '65536',
      '+ 9001',
      '9001\u00A0',
      '\u0969',
      '99999999999999999999',
    ])
      expect(() => csvPort(value, where)).toThrow(
        `masters.csv, line 3: pb_port ${JSON.stringify(value)} is not a port number`,
      );
  });
});
