import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { allDatabases } from '@test/support';
import { useStack, TOKEN } from '../test/stack.js';

/** The web UI in headless Chromium (Debian's package), on SQLite. */
describe('the slavealloc pages in a browser', () => {
  const use = useStack(allDatabases()[0]!);
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('filters the slaves table, and disables a slave with the token: its next tac is the disabled one', async () => {
    const stack = use();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.server.url}/ui/slavealloc`);
    const names = () => page.locator('#slaves tbody tr td:first-child').allTextContents();
    expect(await names()).toHaveLength(9);

    await page.selectOption('select[name=purpose]', 'try');
    await Promise.all([page.waitForURL(/purpose=try/), page.click('button[type=submit]')]);
    expect(await names()).toEqual(['try-linux-slave01']);
    await page.goto(`${stack.server.url}/ui/slavealloc?pool=build-mtv1&q=linux`);
    expect(await names()).toEqual([
      'linux-ix-slave01',
      'linux-ix-slave02',
      'linux-ix-slave03',
      'linux-ix-slave04',
      'linux-ix-slave05',
    ]);

    const row = page.locator('tr[data-name="linux-ix-slave01"]');
    // Without the token: refused, nothing changes.
    await row.locator('button[data-action=disable]').click();
    await expect(page.locator('#status').textContent()).resolves.toMatch(/saving|refused/);
    // A locator, not waitForFunction: the page's CSP forbids the eval that one needs.
    await page.locator('#status', { hasText: /refused \(40[13]\)/ }).waitFor();
    expect((await stack.request('/gettac/linux-ix-slave01')).text).not.toContain('SLAVE DISABLED');

    await page.fill('#token', TOKEN);
    await Promise.all([
      page.waitForEvent('load'),
      row.locator('button[data-action=disable]').click(),
    ]);
    await expect(
      page.locator('tr[data-name="linux-ix-slave01"] td.enabled').textContent(),
    ).resolves.toBe('no');
    expect((await stack.request('/gettac/linux-ix-slave01')).text).toContain(
      'print "SLAVE DISABLED; NOT STARTING"',
    );
    // The token stays for this tab: notes saved after the reload.
    await page.fill('tr[data-name="linux-ix-slave01"] input.notes', 'disk replaced');
    await Promise.all([
      page.waitForEvent('load'),
      page.click('tr[data-name="linux-ix-slave01"] button[data-action=notes]'),
    ]);
    expect((await stack.request('/api/slaves/linux-ix-slave01?byname=1')).json().notes).toBe(
      'disk replaced',
    );

    // The other whitelisted columns, as the original's editable rows had them.
    const edit = page.locator('tr[data-name="linux-ix-slave03"]');
    await edit.locator('summary').click();
    await edit.locator('select[data-field=purposeid]').selectOption({ label: 'test' });
    await edit.locator('input[data-field=basedir]').fill("/builds/<b>é'");
    await Promise.all([
      page.waitForEvent('load'),
      edit.locator('button[data-action=edit]').click(),
    ]);
    const test = (await stack.request('/api/purposes/test?byname=1')).json().purposeid;
    expect((await stack.request('/api/slaves/linux-ix-slave03?byname=1')).json()).toMatchObject({
      purposeid: test,
      basedir: "/builds/<b>é'",
      custom_tplid: null,
    });
    await expect(
      page.locator('tr[data-name="linux-ix-slave03"] input[data-field=basedir]').inputValue(),
    ).resolves.toBe("/builds/<b>é'");

    await page.goto(`${stack.server.url}/ui/slavealloc/masters`);
    const master = page.locator('tr[data-name="bm02-build"]');
    await master.locator('summary').click();
    await master.locator('input[data-field=pb_port]').fill('abc');
    await master.locator('button[data-action=edit]').click();
    await page.locator('#status', { hasText: /refused \(400\) pb_port must be/ }).waitFor();
    await master.locator('input[data-field=pb_port]').fill('9102');
    await master.locator('input[data-field=nickname]').fill('bm02-renamed');
    await Promise.all([
      page.waitForEvent('load'),
      master.locator('button[data-action=edit]').click(),
    ]);
    expect((await stack.request('/api/masters/bm02-renamed?byname=1')).json()).toMatchObject({
      pb_port: 9102,
      fqdn: 'buildbot-master02.build.mtv1.example.com',
    });

    await page.goto(`${stack.server.url}/ui/slavealloc/silos`);
    // linux-ix-slave03, now a test slave, is a silo of its own.
    await expect(page.locator('#silos tbody tr').count()).resolves.toBe(5);
    await page.goto(`${stack.server.url}/ui/slavealloc/masters`);
    await expect(page.locator('#masters tbody tr').count()).resolves.toBe(4);
    await page.goto(`${stack.server.url}/`);
    await expect(page.locator('nav a[href="/ui/slavealloc"]').count()).resolves.toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('styles the /api page, which the policy of data would leave bare, and lets no page be framed', async () => {
    const stack = use();
    const page = await browser.newPage();
    const refused: string[] = [];
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) refused.push(m.text());
    });
    await page.goto(`${stack.server.url}/api`);
    await expect(page.locator('a[href="/api/slaves"]').count()).resolves.toBe(1);
    // The common style's body margin (1.5rem), which a refused <style> would not give.
    await expect(page.evaluate('getComputedStyle(document.body).marginTop')).resolves.toBe('24px');
    expect(refused).toEqual([]);
    await page.close();
    for (const path of [
      '/api',
      '/ui/slavealloc',
      '/ui/slavealloc/masters',
      '/ui/slavealloc/silos',
    ]) {
      const csp = (await stack.request(path)).headers.get('content-security-policy');
      expect({ path, csp }).toEqual({
        path,
        csp: expect.stringMatching(/(^|;\s*)frame-ancestors 'none'(;|$)/),
      });
      expect(csp).toMatch(/(^|;\s*)base-uri 'none'(;|$)/);
    }
  });
});
