import { describe, expect, it } from '@jest/globals';
import type { StoredResult } from './api.js';
import { previousFilter, resultEvents } from './events.js';

const BASE = 'http://rdb/api/v2.0';
const stored: StoredResult = {
  id: 7,
  testcase: { name: 'dist.rpmlint', ref_url: null },
  groups: ['g1'],
  outcome: 'FAILED',
  note: '2 errors',
  ref_url: 'http://a/artifacts/g1/x.log',
  submit_time: '2016-08-15T13:29:06.123456',
  data: { item: ['koschei-1.7.2-1.fc24'], type: ['koji_build'], arch: ['x86_64'] },
};

describe('previousFilter', () => {
  it('selects the same testcase and every item, type and arch value, nothing else', () => {
    expect(
      previousFilter({
        testcase: { name: 't' },
        data: [
          ['item', 'i'],
          ['type', 'koji_build'],
          ['arch', 'x86_64'],
          ['arch', 'noarch'],
          ['other', 'o'],
        ],
      }),
    ).toEqual({
      testcases: ['t'],
      data: [
        { key: 'item', values: ['i'], like: false },
        { key: 'type', values: ['koji_build'], like: false },
        { key: 'arch', values: ['x86_64'], like: false },
        { key: 'arch', values: ['noarch'], like: false },
      ],
    });
  });
});

describe('resultEvents', () => {
  it('publishes a first result as resultsdb.result.new (its JSON) and taskotron.result.new', () => {
    const events = resultEvents(stored, null, BASE);
    expect(events.map((e) => e.topic)).toEqual(['resultsdb.result.new', 'taskotron.result.new']);
    expect(events[0]!.body).toMatchObject({
      id: 7,
      href: `${BASE}/results/7`,
      submit_time: '2016-08-15T13:29:06.123456',
      data: stored.data,
    });
    expect(events[1]!.body).toEqual({
      task: { item: 'koschei-1.7.2-1.fc24', type: 'koji_build', name: 'dist.rpmlint' },
      result: {
        id: 7,
        submit_time: '2016-08-15 13:29:06 UTC',
        prev_outcome: null,
        outcome: 'FAILED',
        log_url: 'http://a/artifacts/g1/x.log',
      },
    });
  });

  it('says the previous outcome when it changed, and sends no legacy message when it did not', () => {
    const changed = resultEvents(stored, { outcome: 'PASSED' }, BASE);
    expect(changed[1]!.body).toMatchObject({ result: { prev_outcome: 'PASSED' } });
    const same = resultEvents(stored, { outcome: 'FAILED' }, BASE);
    expect(same.map((e) => e.topic)).toEqual(['resultsdb.result.new']);
  });

  it('names the last item and type of a result with several in the legacy task, as ResultsDB dict() of them', () => {
    const several = resultEvents(
      { ...stored, data: { item: ['a-1-1', 'b-1-1'], type: ['koji_build', 'bodhi_update'] } },
      null,
      BASE,
    );
    expect(several[1]!.body).toMatchObject({
      task: { item: 'b-1-1', type: 'bodhi_update', name: 'dist.rpmlint' },
    });
  });

  it('leaves item and type out of the legacy task when the result has none', () => {
    const bare = resultEvents({ ...stored, data: {} }, null, BASE);
    expect(bare[1]!.body).toMatchObject({ task: { name: 'dist.rpmlint' } });
    expect((bare[1]!.body as { task: object }).task).not.toHaveProperty('item');
  });
});
