import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { once } from 'node:events';
import { chromium } from 'playwright-core';
import { AutomationHost, createLogger } from '@loopabull/core';
import { Database } from '@loopabull/database';
import { startServer, type RunningServer } from '@loopabull/server';
import {
  cleanUpTest,
  freePort,
  removeTempDirs,
  testConfig,
  waitFor,
  watchPublished,
} from '@test/support';
import { taskotron } from './automation.js';
import { JobLog } from './job-log.js';

const TOKEN = 'taskotron-test-token';
const logger = createLogger('test', 'error');
const ITEM = 'ansible-1.8.3-1.el7';

/** `loopabull serve` with only taskotron enabled, on a fresh SQLite file beside the config. */
async function serving(section: Record<string, unknown> = {}) {
  const config = testConfig({
    overrides: {
      loglevel: 'error',
      http: { port: await freePort(), token: TOKEN },
      taskotron: section,
    },
    automations: [taskotron],
  });
  const host = await new AutomationHost(config, [taskotron], logger).start();
  const server = await startServer(config, host);
  const close = async () => {
    await server.close();
    await host.stop();
    await cleanUpTest(config);
  };
  return { config, server, close };
}

let server: RunningServer;
let config: Awaited<ReturnType<typeof serving>>['config'];
let close: () => Promise<void>;
beforeAll(async () => ({ config, server, close } = await serving()));
afterAll(async () => {
  await close();
  removeTempDirs();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/v2.0/results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const RESULT = {
  testcase: 'dist.name-lint',
  outcome: 'PASSED',
  data: { item: ITEM, type: 'koji_build' },
};

describe('the started automation', () => {
  it('offers the trigger and the runner to handler files as ctx.automation("taskotron", key)', async () => {
    const host = await new AutomationHost(config, [taskotron], logger).start();
    try {
      const [started] = host.started;
      expect(Object.keys(started!.instance.handlers ?? {})).toEqual([
        'default',
        'trigger',
        'fuse',
        'run',
      ]);
      expect(typeof host.handler('taskotron', 'run')).toBe('function');
    } finally {
      await host.stop();
    }
  });
});

describe('the ResultsDB API under loopabull serve', () => {
  it('refuses writes without the bearer token (the server guard), takes them with it', async () => {
    const refused = await post(RESULT);
    expect(refused.status).toBe(401);
    // Worded as ResultsDB words errors, for its clients: {"message": ...}.
    expect(await refused.json()).toEqual({
      message:
        'this endpoint changes state and needs Authorization: Bearer <http.token> ' +
        '(or "_auth_token": "<http.token>" in the JSON body)',
    });
    expect((await post(RESULT, { authorization: 'Bearer wrong' })).status).toBe(401);
    const res = await post(RESULT, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      outcome: 'PASSED',
      testcase: { name: 'dist.name-lint' },
    });
  });

  it("takes the token in the body as `_auth_token`, as resultsdb_api's auth_token sends it", async () => {
    // ResultsDBapi(url, auth_token=T).create_result(...): no header, `_auth_token` in the body,
    // which ResultsDB's OIDC check read (and the result ignores).
    const res = await post({ ...RESULT, _auth_token: TOKEN }, { accept: 'text/plain' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      outcome: 'PASSED',
      data: { item: [ITEM], type: ['koji_build'] },
    });
    expect((await post({ ...RESULT, _auth_token: 'wrong' })).status).toBe(401);
    expect((await post({ ...RESULT, _auth_token: null })).status).toBe(401);
    const group = await fetch(`${server.url}/api/v2.0/groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uuid: 'body-token-group', _auth_token: TOKEN }),
    });
    expect(group.status).toBe(201);
  });

  it('stores a number in data from its text in the body, past the server JSON parser', async () => {
    const res = await fetch(`${server.url}/api/v2.0/results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"testcase": "dist.name-lint", "outcome": "INFO", "data": {"item": "f-1", "s": 1.0}}',
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { data: unknown }).data).toEqual({ item: ['f-1'], s: ['1.0'] });
  });

  it('refuses POST /groups and /testcases without the bearer token, takes them with it', async () => {
    const write = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/api/v2.0/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const [path, body] of [
      ['groups', { uuid: 'serve-group' }],
      ['testcases', { name: 'dist.serve' }],
    ] as const) {
      expect((await write(path, body)).status).toBe(401);
      expect((await write(path, body, auth)).status).toBe(201);
    }
  });

  it("answers other methods and doubled slashes under /api/v2.0 as ResultsDB, past the server's guard", async () => {
    const send = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/api/v2.0${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(RESULT),
      });
    const auth = { authorization: `Bearer ${TOKEN}` };
    // Not the server's 405 naming GET: no route takes the path (ResultsDB's 404).
    for (const method of ['PUT', 'DELETE', 'POST']) {
      const res = await send(method, '/nothing', auth);
      expect([method, res.status, await res.json()]).toEqual([
        method,
        404,
        { message: 'Not found' },
      ]);
    }
    const put = await send('PUT', '/results', auth);
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
    // A client whose API URL ends in `/` posts to `//results`: redirected with its token, as
    // Werkzeug redirects it, and stored once followed.
    const res = await send('POST', '//results', auth);
    expect(res.status).toBe(201);
    expect(res.url).toBe(`${server.url}/api/v2.0/results`);
    // The guard still comes first: a write without the token is refused.
    expect((await send('PUT', '/nothing')).status).toBe(401);
  });

  it('takes the outcomes of taskotron.additional_outcomes besides the four of v2.0', async () => {
    const crashed = { ...RESULT, outcome: 'CRASHED' };
    const auth = { authorization: `Bearer ${TOKEN}` };
    const refused = await post(crashed, auth);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      message: "outcome must be one of ('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION')",
    });
    const more = await serving({ additional_outcomes: ['CRASHED'] });
    try {
      const res = await fetch(`${more.server.url}/api/v2.0/results`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(crashed),
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ outcome: 'CRASHED' });
    } finally {
      await more.close();
    }
  });

  it('lets Bodhi read the latest results of a build without a token', async () => {
    const res = await fetch(`${server.url}/api/v2.0/results/latest?item=${ITEM}&type=koji_build`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ outcome: string; data: unknown }> };
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      outcome: 'PASSED',
      data: { item: [ITEM], type: ['koji_build'] },
    });
  });

  it('publishes each POSTed result as ResultsDB did: resultsdb.result.new always, taskotron.result.new when the outcome changed', async () => {
    const published = await watchPublished(config, '*.result.new');
    try {
      const item = `events-${Date.now()}`;
      for (const outcome of ['PASSED', 'PASSED', 'FAILED']) {
        const res = await post(
          { ...RESULT, outcome, data: { item, type: 'koji_build' } },
          { authorization: `Bearer ${TOKEN}` },
        );
        expect(res.status).toBe(201);
      }
      // Only this item's: a result an earlier test posted may reach the watcher late.
      const ofItem = () =>
        published.events.filter((e) =>
          e.topic === 'resultsdb.result.new'
            ? e.body.data?.item?.[0] === item
            : e.body.task?.item === item,
        );
      // In the order sent: once the FAILED one is in, a legacy event of the second would be too.
      await waitFor(() => ofItem().some((e) => e.body.result?.outcome === 'FAILED'), {
        what: 'the legacy event of the FAILED result',
      });
      const events = ofItem();
      expect(events.filter((e) => e.topic === 'resultsdb.result.new')).toHaveLength(3);
      expect(
        events
          .filter((e) => e.topic === 'taskotron.result.new')
          .map((e) => [e.body.result.prev_outcome, e.body.result.outcome]),
      ).toEqual([
        [null, 'PASSED'],
        ['PASSED', 'FAILED'],
      ]);
    } finally {
      await published.close();
    }
  });

  it('publishes the events under events_topic_prefix, as fedmsg named them for Fedora consumers', async () => {
    const fedora = await serving({ events_topic_prefix: 'org.fedoraproject.prod' });
    const published = await watchPublished(fedora.config, '#');
    try {
      const item = `prefixed-${Date.now()}`;
      const res = await fetch(`${fedora.server.url}/api/v2.0/results`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ ...RESULT, data: { item, type: 'koji_build' } }),
      });
      expect(res.status).toBe(201);
      await waitFor(() => published.events.length === 2, { what: 'both result events' });
      expect(published.events.map((e) => e.topic)).toEqual([
        'org.fedoraproject.prod.resultsdb.result.new',
        'org.fedoraproject.prod.taskotron.result.new',
      ]);
      expect(published.events[0]!.body.data.item).toEqual([item]);
    } finally {
      await published.close();
      await fedora.close();
    }
  });

  it('mounts no store when results go to a remote ResultsDB; the page points there', async () => {
    const remote = await serving({ resultsdb_url: 'https://resultsdb.example/api/v2.0' });
    try {
      expect((await fetch(`${remote.server.url}/api/v2.0/results`)).status).toBe(404);
      const page = await (await fetch(`${remote.server.url}/ui/taskotron?item=${ITEM}`)).text();
      expect(page).toContain(`<a href="https://resultsdb.example/api/v2.0/results?item=${ITEM}">`);
      // No link to this server's /api/v2.0, which is not mounted.
      expect(page).not.toContain('href="/api/v2.0');
      expect(page).toContain('<a href="https://resultsdb.example/api/v2.0/results">');
    } finally {
      await remote.close();
    }
  });
});

describe('artifacts over HTTP', () => {
  it("serves a job's files and lists its directory, so that ref_urls resolve", async () => {
    const dir = join(config.dir, 'var', 'artifacts', 'job-1');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'a <b>.log'), 'the log\n');
    writeFileSync(join(dir, '.loopabull-journal.json'), '{}');
    const file = await fetch(`${server.url}/artifacts/job-1/logs/a%20%3Cb%3E.log`);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('the log\n');
    expect(file.headers.get('content-security-policy')).toMatch(/^sandbox/);
    const list = await fetch(`${server.url}/artifacts/job-1/logs/`);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('a &lt;b&gt;.log</a>');
    // Names with a `#` (dist-git items: `rpms/gcc#fe7f`) or `?`: each link gets its file.
    for (const name of ['rpms_gcc#fe7f.log', 'what?.log', '100%.log'])
      writeFileSync(join(dir, 'logs', name), name);
    const html = await (await fetch(`${server.url}/artifacts/job-1/logs/`)).text();
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
    expect(hrefs).toHaveLength(4);
    for (const href of hrefs) {
      const res = await fetch(new URL(href, server.url));
      expect([href, res.status]).toEqual([href, 200]);
      const name = decodeURIComponent(new URL(href, server.url).pathname.split('/').pop()!);
      expect(await res.text()).toBe(name === 'a <b>.log' ? 'the log\n' : name);
    }
    const top = await fetch(`${server.url}/artifacts/job-1`);
    expect(top.status).toBe(200);
    expect(await top.text()).toMatch(/logs\/<\/a>/);
  });

  it('serves nothing outside the artifacts directory (403 or 404), and no hidden file', async () => {
    const dir = join(config.dir, 'var', 'artifacts', 'job-2');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(config.dir, 'secret.txt'), 'secret');
    symlinkSync(join(config.dir, 'secret.txt'), join(dir, 'link.txt'));
    writeFileSync(join(dir, '.loopabull-job'), 'owner');
    const host = new URL(server.url).host;
    for (const path of [
      '/artifacts/job-2/link.txt',
      '/artifacts/job-2/.loopabull-job',
      '/artifacts/../secret.txt',
      '/artifacts/%2e%2e/secret.txt',
      '/artifacts/job-2/..%2f..%2fsecret.txt',
    ]) {
      // As sent: fetch and URL would resolve the dots first.
      const { hostname, port } = new URL(server.url);
      const req = request({ hostname, port, path, headers: { host } });
      req.end();
      const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
      let body = '';
      for await (const chunk of res) body += String(chunk);
      expect([path, [403, 404].includes(res.statusCode!), body]).toEqual([
        path,
        true,
        expect.not.stringContaining('secret'),
      ]);
    }
  });
});

describe('the page for people at /ui/taskotron', () => {
  const JOB = '5b7c1a0e-0000-4000-8000-000000000001';
  const HOSTILE = '<script>alert(1)</script>-1-1.fc41';
  const DISCOVERED = [
    [
      'discovered-1',
      'https://src.fedoraproject.org/rpms/vim',
      'f41',
      '0123456789abcdef0123456789abcdef01234567',
    ],
    ['discovered-2', 'https://git.example.org/<b>forks</b>/vim', undefined, undefined],
  ] as const;
  /** The cells of the table row holding `needle`, as text. */
  const rowOf = (page: string, needle: string) => {
    const row = page.split('<tr>').find((r) => r.includes(needle));
    return row
      ?.split('</td>')
      .slice(0, -1)
      .map((c) => c.replace(/<[^>]*>/g, '').trim());
  };
  const getPage = async (query = '') => {
    const res = await fetch(`${server.url}/ui/taskotron${query}`);
    return { res, body: await res.text() };
  };

  beforeAll(async () => {
    const db = await Database.open(config.database.url, { baseDir: config.dir, logger });
    try {
      const jobs = await JobLog.open(db);
      const trigger = {
        topic: 'org.fedoraproject.prod.buildsys.build.state.change',
        msg_id: 'm-1',
        rules: ['koji-build'],
      };
      await jobs.scheduled({
        uuid: JOB,
        item: ITEM,
        item_type: 'koji_build',
        taskname: 'name-lint',
        arch: 'noarch',
        trigger,
      });
      await jobs.started(JOB);
      await jobs.finished(JOB, { execution_status: 'OK', status: '1 PASSED' });
      await jobs.scheduled({
        uuid: 'hostile',
        item: HOSTILE,
        item_type: 'koji_build',
        taskname: 'always-info',
        arch: 'noarch',
        trigger,
      });
      // Two discovered `tests` of the same item, from two repositories; one parked.
      for (const [uuid, git_repo, git_branch, git_commit] of DISCOVERED)
        await jobs.scheduled({
          uuid,
          item: ITEM,
          item_type: 'koji_build',
          taskname: 'tests',
          arch: 'noarch',
          git_repo,
          ...(git_branch === undefined ? {} : { git_branch }),
          ...(git_commit === undefined ? {} : { git_commit }),
          trigger: { ...trigger, rules: ['dist-git'] },
        });
      await jobs.started('discovered-2');
      await jobs.parked('discovered-2', 'the check could not be fetched: git clone <gone>');
    } finally {
      await db.close();
    }
    const auth = { authorization: `Bearer ${TOKEN}` };
    const reported = {
      testcase: 'dist.name-lint',
      outcome: 'FAILED',
      note: 'name <b>bad</b>',
      groups: [JOB],
      ref_url: `http://127.0.0.1:8080/artifacts/${JOB}/name-lint.log`,
      data: { item: ITEM, type: 'koji_build', arch: 'noarch' },
    };
    expect((await post(reported, auth)).status).toBe(201);
    const sneaky = {
      ...reported,
      testcase: 'scratch.sneaky',
      groups: [],
      ref_url: 'javascript:alert(1)',
    };
    expect((await post(sneaky, auth)).status).toBe(201);
  });

  it('lists recent jobs with their trigger, execution, outcome and artifacts, escaped', async () => {
    const { res, body } = await getPage();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(rowOf(body, JOB)).toEqual([
      expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      `${ITEM} koji_build`,
      'name-lint',
      'noarch',
      'org.fedoraproject.prod.buildsys.build.state.change rules: koji-build',
      'OK 1 PASSED',
      '1 FAILED',
      `artifacts ${JOB}`,
    ]);
    // Under the server's own address: the config sets http.port and no artifacts_url.
    expect(body).toContain(`<a href="${server.url}/artifacts/${JOB}/">artifacts</a>`);
    expect(body).toContain(`<a href="/ui/taskotron?item=${ITEM}">${ITEM}</a>`);
    expect(rowOf(body, 'hostile')?.[5]).toBe('scheduled');
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;-1-1.fc41');
    expect(body).not.toContain('<script>');
  });

  it('tells discovered checks apart by their repository, branch and commit, escaped, and says which job was parked', async () => {
    const { body } = await getPage();
    expect(rowOf(body, 'discovered-1')?.slice(2, 6)).toEqual([
      'tests in https://src.fedoraproject.org/rpms/vim branch f41 at 0123456789ab',
      'noarch',
      'org.fedoraproject.prod.buildsys.build.state.change rules: dist-git',
      'scheduled',
    ]);
    const parked = rowOf(body, 'discovered-2');
    expect(parked?.[2]).toBe(
      'tests in https://git.example.org/&lt;b&gt;forks&lt;/b&gt;/vim default branch',
    );
    expect(parked?.[5]).toBe(
      'NOT_OK (parked) the check could not be fetched: git clone &lt;gone&gt;',
    );
    expect(body).not.toContain('<b>forks');
  });

  it('shows the results of an item as a Bodhi user looks them up', async () => {
    const { body } = await getPage(`?item=${ITEM}`);
    expect(body).toContain(`<h2>Results for ${ITEM}`);
    expect(rowOf(body, 'dist.name-lint')).toEqual([
      'dist.name-lint',
      'FAILED',
      'noarch',
      'koji_build',
      expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      'name &lt;b&gt;bad&lt;/b&gt;',
      'details',
    ]);
    expect(body).toContain(
      `<a href="http://127.0.0.1:8080/artifacts/${JOB}/name-lint.log">details</a>`,
    );
    expect(body).not.toContain('href="javascript:');
    expect(rowOf(body, 'hostile')).toBeUndefined();
    const none = await getPage(`?item=${encodeURIComponent(HOSTILE)}`);
    expect(none.body).toContain('No results for this item.');
    expect(none.body).not.toContain('<script>');
    expect((await fetch(`${server.url}/ui/taskotron?item=a&item=b`)).status).toBe(400);
    // PostgreSQL failed on it: a 500.
    const nul = await fetch(`${server.url}/ui/taskotron?item=a%00`);
    expect([nul.status, await nul.json()]).toEqual([
      400,
      { message: 'item: must not contain a NUL character (U+0000)' },
    ]);
  });

  it('lets a person look an item up with the form, in a browser', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await Promise.all([
        page.waitForURL(/\/ui\/taskotron$/),
        page.click('a[href="/ui/taskotron"]'),
      ]);
      await page.fill('input[name=item]', ITEM);
      await Promise.all([page.waitForURL(/\?item=/), page.click('button[type=submit]')]);
      expect(await page.locator('h1').textContent()).toBe(`Taskotron: ${ITEM}`);
      const cells = await page
        .locator('tr', { hasText: 'dist.name-lint' })
        .first()
        .locator('td')
        .allTextContents();
      expect(cells.slice(0, 4)).toEqual(['dist.name-lint', 'FAILED', 'noarch', 'koji_build']);
      // The item's jobs: its two discovered `tests` show where each comes from.
      const task = (uuid: string) =>
        page.locator('tr', { hasText: uuid }).locator('td').nth(2).innerText();
      expect(await task('discovered-1')).toBe(
        'tests in https://src.fedoraproject.org/rpms/vim branch f41 at 0123456789ab',
      );
      expect(await task('discovered-2')).toBe(
        'tests in https://git.example.org/<b>forks</b>/vim default branch',
      );
    } finally {
      await browser.close();
    }
  });

  it('is linked from the dashboard', async () => {
    const home = await (await fetch(`${server.url}/`)).text();
    expect(home).toContain('<a href="/ui/taskotron">Taskotron</a>');
  });
});
