import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../errors.js';
import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.js';

const BASE = '/etc/loopabull';
const parse = (url: string) => parseDatabaseUrl(url, BASE);

describe('parseDatabaseUrl', () => {
  it.each([
    ['sqlite:///loopabull.db', '/etc/loopabull/loopabull.db'],
    ['sqlite:///var/lb.db', '/etc/loopabull/var/lb.db'],
    ['sqlite:///../lb.db', '/etc/lb.db'],
    ['sqlite:////var/lib/loopabull/lb.db', '/var/lib/loopabull/lb.db'],
    ['sqlite+pysqlite:////srv/lb.db', '/srv/lb.db'],
    ['sqlite:///with space#and%20percent.db', '/etc/loopabull/with space#and%20percent.db'],
    ['sqlite://', ':memory:'],
    ['sqlite:///:memory:', ':memory:'],
  ])('reads %s as the SQLite file %s', (url, path) => {
    expect(parse(url)).toEqual({ dialect: 'sqlite', path });
  });

  it.each([
    ['postgresql://lb:secret@db.example.org:5433/loopabull', 'postgresql', 5433],
    ['postgres://lb:secret@db.example.org/loopabull', 'postgresql', undefined],
    ['postgresql+psycopg2://lb:secret@db.example.org/loopabull', 'postgresql', undefined],
    ['mysql://lb:secret@db.example.org:3307/loopabull', 'mysql', 3307],
    ['mysql+pymysql://lb:secret@db.example.org/loopabull', 'mysql', undefined],
    ['mariadb://lb:secret@db.example.org/loopabull', 'mysql', undefined],
  ])('reads %s as %s', (url, dialect, port) => {
    expect(parse(url)).toEqual({
      dialect,
      host: 'db.example.org',
      port,
      user: 'lb',
      password: 'secret',
      database: 'loopabull',
    });
  });

  it('decodes percent-escaped credentials and database names, as SQLAlchemy does', () => {
    expect(parse('postgresql://l%40b:p%2Fw%3Ad@[::1]/my%20db')).toMatchObject({
      host: '::1',
      user: 'l@b',
      password: 'p/w:d',
      database: 'my db',
    });
  });

  it("takes a MySQL URL's charset=utf8 or utf8mb4, as SQLAlchemy's often carry: the connection is utf8mb4", () => {
    for (const charset of ['utf8', 'UTF8MB4'])
      expect(parse(`mysql+pymysql://lb@db/x?charset=${charset}`)).toMatchObject({
        dialect: 'mysql',
        database: 'x',
      });
  });

  it('leaves user and password unset when the URL has none, and defaults the host', () => {
    expect(parse('postgresql:///loopabull')).toEqual({
      dialect: 'postgresql',
      host: 'localhost',
      port: undefined,
      user: undefined,
      password: undefined,
      database: 'loopabull',
    });
  });

  it.each([
    ['oracle://lb:secret@db/x', 'is not supported'],
    ['loopabull.db', 'is not supported'],
    ['sqlite:loopabull.db', 'is not supported'],
    ['sqlite://loopabull.db', 'names a host; a file is written sqlite:///loopabull.db'],
    ['sqlite:///lb.db?mode=ro', 'has query parameters'],
    ['mysql://lb:secret@db/x?charset=latin1', 'has the query parameter charset=, which is not'],
    ['postgresql://lb@db/x?application_name=lb', 'has the query parameter application_name='],
    ['postgresql://lb@db/x?sslmode=require', 'set PGSSLMODE in the services'],
    ['mysql://lb@db/x?ssl_ca=/ca.pem', 'TLS to MariaDB/MySQL is not supported'],
    ['postgresql://lb:secret@db', 'needs one database name'],
    ['postgresql://lb:secret@db/a/b', 'needs one database name'],
    ['mysql://lb:secret@db:99999/x', 'cannot be parsed'],
    [
      'postgresql://lb:50%off@db/x',
      'has a % that starts no escape in its password (write % as %25)',
    ],
    ['postgresql://l%b@db/x', 'has a % that starts no escape in its user'],
    ['postgresql://lb@db/100%', 'has a % that starts no escape in its database name'],
  ])('refuses %s: %s, naming the accepted forms', (url, problem) => {
    expect(() => parse(url)).toThrow(ConfigError);
    expect(() => parse(url)).toThrow(problem);
    expect(() => parse(url)).toThrow(/Accepted forms: sqlite:\/\/\/relative.*postgresql:.*mysql:/);
  });

  it('never puts the password in its error, even for a URL it cannot parse', () => {
    for (const url of [
      'oracle://lb:s3cr3t@db/x',
      'mysql://lb:s3cr3t@db:99999/x',
      'mysql://lb:s3cr3t%@db/x',
      ' oracle://lb:s3cr3t@db/x',
      'postgresql_psycopg2://lb:s3cr3t@db/x',
    ]) {
      expect(() => parse(url)).toThrow(/lb:\*\*\*@db/);
      expect(() => parse(url)).not.toThrow(/s3cr3t/);
    }
  });
});

describe('redactDatabaseUrl', () => {
  it.each([
    ['mysql://lb:secret@db/x', 'mysql://lb:***@db/x'],
    ['mysql://lb:p@ss@db/x', 'mysql://lb:***@db/x'],
    ['postgresql+psycopg2://:secret@db/x', 'postgresql+psycopg2://:***@db/x'],
    ['mysql://root@db/x', 'mysql://root@db/x'],
    ['mysql://db:3306/x', 'mysql://db:3306/x'],
    ['sqlite:////srv/lb.db', 'sqlite:////srv/lb.db'],
    [' mysql://lb:secret@db/x', ' mysql://lb:***@db/x'],
    ['my_sql://lb:secret@db/x', 'my_sql://lb:***@db/x'],
    ['mysql:/lb:secret@db/x', 'mysql:***@db/x'],
    ['lb:secret@db/x', 'lb:***@db/x'],
    ['mysql://lb:se\ncret@db/x', 'mysql://lb:***@db/x'],
    ['postgresql://db:5432/x?password=pw&a=1', 'postgresql://db:5432/x?password=***&a=1'],
    [
      'postgresql://u@db/x?sslmode=verify&sslpassword=pw',
      'postgresql://u@db/x?sslmode=verify&sslpassword=***',
    ],
    ['postgresql://u:p?w@db/x?token=t', 'postgresql://u:***@db/x?token=***'],
    ['sqlite:///x.db?password=pw', 'sqlite:///x.db?password=***'],
    ['postgresql://h/db?%70assword=pw', 'postgresql://h/db?%70assword=***'],
    ['postgresql://h/db#password=pw', 'postgresql://h/db#password=***'],
    ['postgresql://h/db?a=1#token=t', 'postgresql://h/db?a=1#token=***'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactDatabaseUrl(url)).toBe(redacted);
  });
});
