import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RESULTSDB_OUTCOMES } from './outcomes.js';
import { parseNewResult, utcNow } from './resultsdb/api.js';
import { joinUrl } from './join-url.js';
import { executionStatus, refUrl, resultsdbPayload } from './report.js';
import type { TriggerJob } from './trigger.js';

const BASE = 'https://taskotron.fedoraproject.org/artifacts/all';
const UUID = '27f94e36-62ec-11e6-83fd-525400d7d6a4';
const job: TriggerJob = {
  item: 'koschei-1.7.2-1.fc24',
  item_type: 'koji_build',
  taskname: 'rpmlint',
  arch: 'noarch',
  uuid: UUID,
};

describe('URLs', () => {
  it.each<[string, string[], string]>([
    [`${BASE}/`, [UUID], `${BASE}/${UUID}`],
    [`${BASE}//`, [`/${UUID}/`, '/task_output//x.log'], `${BASE}/${UUID}/task_output/x.log`],
    ['http://h/execdb/', ['jobs', UUID], `http://h/execdb/jobs/${UUID}`],
    [BASE, [UUID, 'a b#?.log'], `${BASE}/${UUID}/a%20b%23%3F.log`],
  ])('joinUrl(%s, %j) = %s', (base, parts, url) => expect(joinUrl(base, ...parts)).toBe(url));

  it('never doubles a slash after the scheme', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http://h', 'http://h/', 'http://h/a//'),
        fc.array(fc.string()),
        (b, parts) => {
          expect(joinUrl(b, ...parts).slice('http://'.length)).not.toContain('//');
        },
      ),
    );
  });

  it('points at the artifact inside the job directory, else at the directory', () => {
    expect(refUrl(BASE, UUID, 'task_output/koschei-1.7.2-1.fc24.log')).toBe(
      `${BASE}/${UUID}/task_output/koschei-1.7.2-1.fc24.log`,
    );
    expect(refUrl(BASE, UUID)).toBe(`${BASE}/${UUID}`);
    expect(refUrl(BASE, UUID, '../other/x.log')).toBe(`${BASE}/${UUID}`);
    expect(refUrl(BASE, UUID, '/etc/passwd')).toBe(`${BASE}/${UUID}`);
  });
});

describe('resultsdbPayload', () => {
  it('makes the documented POST body of a check result', () => {
    const result = {
      item: job.item,
      outcome: 'PASSED',
      type: 'koji_build',
      checkname: 'dist.rpmlint',
      note: '0 errors, 30 warnings',
      artifact: 'task_output/koschei-1.7.2-1.fc24.log',
      keyvals: { arch: ['x86_64', 'noarch'] },
    };
    expect(resultsdbPayload(result, job, `${BASE}/`)).toEqual({
      outcome: 'PASSED',
      testcase: { name: 'dist.rpmlint' },
      groups: [
        {
          uuid: UUID,
          description: 'Taskotron job rpmlint on koji_build koschei-1.7.2-1.fc24',
          ref_url: `${BASE}/${UUID}`,
        },
      ],
      note: '0 errors, 30 warnings',
      ref_url: `${BASE}/${UUID}/task_output/koschei-1.7.2-1.fc24.log`,
      data: { item: job.item, type: 'koji_build', arch: ['x86_64', 'noarch'] },
    });
  });

  it('falls back to the task name, the job type and arch', () => {
    const p = resultsdbPayload({ item: job.item, outcome: 'INFO', keyvals: {} }, job, BASE);
    expect(p.testcase).toEqual({ name: 'rpmlint' });
    expect(p.data).toEqual({ arch: 'noarch', item: job.item, type: 'koji_build' });
    expect(p.note).toBeNull();
  });

  it('sends an empty note as none, as checkb did (`note or None`)', () => {
    const p = resultsdbPayload(
      { item: job.item, outcome: 'INFO', note: '', keyvals: {} },
      job,
      BASE,
    );
    expect(p.note).toBeNull();
  });

  it('is a body the ResultsDB API accepts', () => {
    const p = resultsdbPayload(
      { item: job.item, outcome: 'FAILED', keyvals: { n: '1' } },
      job,
      BASE,
    );
    const parsed = parseNewResult(p, { outcomes: RESULTSDB_OUTCOMES, now: utcNow() });
    expect(parsed.ok && parsed.value.data).toEqual([
      ['arch', 'noarch'],
      ['n', '1'],
      ['item', job.item],
      ['type', 'koji_build'],
    ]);
  });
});

describe('executionStatus', () => {
  it.each<[Parameters<typeof executionStatus>[0], string, RegExp]>([
    [
      { exitCode: 0, results: { outcomes: ['FAILED', 'PASSED', 'PASSED'] } },
      'OK',
      /^2 PASSED, 1 FAILED$/,
    ],
    [{ exitCode: 0, results: { outcomes: [] } }, 'OK', /^no results$/],
    [{ exitCode: 2, results: { outcomes: ['PASSED'] } }, 'NOT_OK', /the playbook exited with 2/],
    [{ exitCode: null, timedOutAfter: 30, results: null }, 'NOT_OK', /timed out after 30 s/],
    [{ exitCode: null, signal: 'SIGKILL', results: null }, 'NOT_OK', /killed by SIGKILL/],
    [{ exitCode: 0, results: null }, 'NOT_OK', /Results file doesn't exist/],
    [
      { exitCode: 0, results: { error: 'item is required' } },
      'NOT_OK',
      /malformed results: item is required/,
    ],
  ])('%j -> %s', (run, status, message) => {
    const s = executionStatus(run);
    expect(s.execution_status).toBe(status);
    expect(s.status).toMatch(message);
  });
});
