import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '@loopabull/core';
import { removeTempDirs, tempDir } from '@test/support';
import {
  artifactsUrl,
  checkTimeLimit,
  SHIPPED_RULES,
  SHIPPED_TASKS_DIR,
  taskotronPaths,
  taskotronSection,
  taskotronSettings,
} from './section.js';
import { taskotron } from './automation.js';
import { builtinApiUrl } from './runner-start.js';

afterAll(() => removeTempDirs());

describe('the taskotron section', () => {
  it('has a default for every key, the spec says which', () => {
    expect(taskotronSection.parse({})).toEqual({
      enabled: true,
      rules: SHIPPED_RULES,
      tasks_dir: SHIPPED_TASKS_DIR,
      artifacts_dir: './var/artifacts',
      artifacts_url: null,
      valid_arches: ['x86_64', 'armhfp'],
      dedup_window: 3600,
      fuse_delay: 900,
      check_timeout: 1200,
      git_timeout: 120,
      git_cache_dir: null,
      critpath_file: null,
      namespaces_safe: ['scratch'],
      namespaces_whitelist: null,
      events_topic_prefix: null,
      resultsdb_url: null,
      resultsdb_token: null,
      resultsdb_public_url: null,
      additional_outcomes: [],
    });
  });

  it("takes the built-in API's public URL behind a proxy, without its trailing slash", () => {
    const api = 'https://taskotron.fedoraproject.org/resultsdb_api/api/v2.0';
    const proxied = taskotronSection.parse({ resultsdb_public_url: `${api}/` });
    expect(proxied.resultsdb_public_url).toBe(api);
    // The result events' hrefs start there too; else at the origin of artifacts_url.
    const http = { host: '127.0.0.1', port: 8080 };
    expect(builtinApiUrl({ config: { http }, section: proxied })).toBe(api);
    const set = taskotronSection.parse({ artifacts_url: 'https://tt.example/artifacts/all' });
    expect(builtinApiUrl({ config: { http }, section: set })).toBe('https://tt.example/api/v2.0');
    const unset = taskotronSection.parse({});
    expect(builtinApiUrl({ config: { http: { ...http, port: 27462 } }, section: unset })).toBe(
      'http://127.0.0.1:27462/api/v2.0',
    );
    for (const bad of ['/resultsdb_api/api/v2.0', 'ftp://host/api', `${api}?x=1`, `${api}#f`])
      expect([bad, taskotronSection.safeParse({ resultsdb_public_url: bad }).success]).toEqual([
        bad,
        false,
      ]);
  });

  it('links artifacts where loopabull serve answers with the http settings, unless artifacts_url is set', () => {
    const unset = taskotronSection.parse({});
    const at = (host: string, port = 8080) =>
      artifactsUrl({ config: { http: { host, port } }, section: unset });
    expect(at('127.0.0.1')).toBe('http://127.0.0.1:8080/artifacts');
    expect(at('127.0.0.1', 27462)).toBe('http://127.0.0.1:27462/artifacts');
    expect(at('Loopabull.Example.org.', 80)).toBe('http://loopabull.example.org:80/artifacts');
    expect(at('::1')).toBe('http://[::1]:8080/artifacts');
    // A wildcard bind address is no address to connect to: the loopback of its family is.
    expect(at('0.0.0.0')).toBe('http://127.0.0.1:8080/artifacts');
    for (const wildcard of ['::', '0:0:0:0:0:0:0:0', '::0'])
      expect([wildcard, at(wildcard)]).toEqual([wildcard, 'http://[::1]:8080/artifacts']);
    const set = taskotronSection.parse({ artifacts_url: 'https://tt.example/a/' });
    expect(artifactsUrl({ config: { http: { host: '0.0.0.0', port: 1 } }, section: set })).toBe(
      'https://tt.example/a/',
    );
  });

  it('takes http.port from the file and from LOOPABULL_HTTP_PORT for the artifacts URL', () => {
    const path = join(tempDir('artifacts-url'), 'loopabull.yml');
    writeFileSync(path, 'http: {host: 0.0.0.0, port: 27462}\ntaskotron: {}\n');
    const url = (env: Record<string, string>) => {
      const config = loadConfig({ path, env, automations: [taskotron] });
      return artifactsUrl({ config, section: taskotronSettings(config) });
    };
    expect(url({})).toBe('http://127.0.0.1:27462/artifacts');
    expect(url({ LOOPABULL_HTTP_PORT: '27463' })).toBe('http://127.0.0.1:27463/artifacts');
  });

  it('takes a topic prefix for the result events, without a trailing dot', () => {
    expect(
      taskotronSection.parse({ events_topic_prefix: 'org.fedoraproject.prod' }).events_topic_prefix,
    ).toBe('org.fedoraproject.prod');
    for (const bad of ['org.fedoraproject.prod.', '.org', 'a..b', 'a b', ''])
      expect(taskotronSection.safeParse({ events_topic_prefix: bad }).success).toBe(false);
  });

  it('takes more ResultsDB outcomes as a list of upper-case names, not as a string', () => {
    expect(
      taskotronSection.parse({ additional_outcomes: ['CRASHED'] }).additional_outcomes,
    ).toEqual(['CRASHED']);
    // Fedora's ADDITIONAL_RESULT_OUTCOMES = ('CRASHED') was a string (originals E.9).
    const string = taskotronSection.safeParse({ additional_outcomes: 'CRASHED' });
    expect(string.error?.issues).toMatchObject([
      {
        path: ['additional_outcomes'],
        message: 'a list of outcomes, not a string: write [CRASHED]',
      },
    ]);
    const lower = taskotronSection.safeParse({ additional_outcomes: ['crashed'] });
    expect(lower.error?.issues[0]?.message).toBe('not an outcome (A-Z, 0-9, _)');
  });

  it('points its defaults at what ships inside the package', () => {
    expect(isAbsolute(SHIPPED_RULES)).toBe(true);
    expect(existsSync(SHIPPED_RULES)).toBe(true);
    expect(existsSync(SHIPPED_TASKS_DIR)).toBe(true);
    expect(SHIPPED_RULES).toBe(join(SHIPPED_TASKS_DIR, '..', 'rules', 'trigger_rules.yml'));
  });

  it('refuses unknown keys and wrong types', () => {
    expect(taskotronSection.safeParse({ rule: 'x' }).success).toBe(false);
    expect(taskotronSection.safeParse({ enabled: 'yes' }).success).toBe(false);
    expect(taskotronSection.safeParse({ artifacts_url: 'not a url' }).success).toBe(false);
    expect(taskotronSection.safeParse({ valid_arches: [] }).success).toBe(false);
    expect(taskotronSection.safeParse({ valid_arches: ['x86/64'] }).success).toBe(false);
    expect(taskotronSection.safeParse({ resultsdb_url: 'https://rdb/api' }).success).toBe(true);
    // Shown in failed jobs' reasons and on the open page: no credentials can ride in it.
    for (const [url, problem] of [
      ['https://rdb/api?token=s3cr3t', 'no query or fragment: the URL the API is at'],
      [
        'https://u:s3cr3t@rdb/api',
        'no user or password in it: give the token as taskotron.resultsdb_token',
      ],
      ['ftp://rdb/api', 'Invalid URL'],
    ])
      expect(taskotronSection.safeParse({ resultsdb_url: url }).error?.issues[0]?.message).toBe(
        problem,
      );
    for (const bad of ['', 42, ['./cache']])
      expect(taskotronSection.safeParse({ git_cache_dir: bad }).error?.issues[0]?.path).toEqual([
        'git_cache_dir',
      ]);
  });

  it('refuses a check_timeout or git_timeout longer than a timer Node sets', () => {
    // Past 2^31-1 ms Node fires a timer at once: every git command or check would time out.
    for (const key of ['check_timeout', 'git_timeout']) {
      expect(taskotronSection.safeParse({ [key]: 2_147_483 }).success).toBe(true);
      const over = taskotronSection.safeParse({ [key]: 2_147_484 });
      expect(over.success).toBe(false);
      expect(over.error?.issues[0]?.message).toMatch(/at most 2147483 seconds/);
    }
  });

  it('refuses a fuse_delay past a timer and a dedup_window past a year, naming the key', () => {
    // Unbounded, 1e300 made a fuse that never burns and a dedup claim Redis refuses at every message.
    expect(taskotronSection.safeParse({ fuse_delay: 2_147_483 }).success).toBe(true);
    expect(taskotronSection.safeParse({ dedup_window: 366 * 24 * 3600 }).success).toBe(true);
    for (const [key, value, message] of [
      ['fuse_delay', 2_147_484, /at most 2147483 seconds/],
      ['fuse_delay', 1e300, /at most 2147483 seconds/],
      ['dedup_window', 366 * 24 * 3600 + 1, /at most 31622400 seconds \(366 days\)/],
      ['dedup_window', 1e300, /at most 31622400 seconds/],
    ] as const) {
      const over = taskotronSection.safeParse({ [key]: value });
      expect(over.error?.issues[0]?.path).toEqual([key]);
      expect(over.error?.issues[0]?.message).toMatch(message);
    }
  });

  it('makes relative paths relative to the config file, keeps absolute ones', () => {
    const section = taskotronSection.parse({ rules: 'my-rules.yml' });
    const paths = taskotronPaths({
      section,
      resolvePath: (p) => (isAbsolute(p) ? p : `/etc/lb/${p}`),
    });
    expect(paths).toEqual({
      rules: '/etc/lb/my-rules.yml',
      tasksDir: SHIPPED_TASKS_DIR,
      artifactsDir: '/etc/lb/./var/artifacts',
      gitCacheDir: null,
    });
    const cached = taskotronSection.parse({ git_cache_dir: 'var/git' });
    expect(
      taskotronPaths({ section: cached, resolvePath: (p) => `/etc/lb/${p}` }).gitCacheDir,
    ).toBe('/etc/lb/var/git');
  });

  it("gives a job's check check_timeout, but ends it before its handler's ansible.timeout", () => {
    expect(checkTimeLimit(1200, 3600)).toBe(1200);
    expect(checkTimeLimit(1200, 1200)).toBe(1140);
    expect(checkTimeLimit(1200, 4)).toBe(2);
  });
});
