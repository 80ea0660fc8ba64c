import { describe, expect, it } from '@jest/globals';
import { failureHeading, failureSummary } from './failure-summary.js';

describe('failureSummary', () => {
  const first = 'ansible-playbook exited 2 (playbook x.yml), one or more hosts failed:';
  const fatal = 'fatal: [localhost]: FAILED! => {"changed": false, "msg": "disk full"}';
  const reason = [
    first,
    '[WARNING]: No inventory was parsed, only implicit localhost is available',
    '[WARNING]: provided hosts list is empty',
    'PLAY [all] ****',
    'TASK [fail] ****',
    fatal,
    'PLAY RECAP ****',
  ].join('\n');

  it("keeps the first line and ansible's error line, past the warnings", () => {
    expect(failureSummary(reason)).toBe(`${first}\n${fatal}`);
  });

  it('puts them on one line for a terminal', () => {
    expect(failureSummary(reason, { oneLine: true })).toBe(`${first} ${fatal}`);
    expect(
      failureSummary(`${first}\n  ERROR! the playbook could not be found`, { oneLine: true }),
    ).toBe(`${first} ERROR! the playbook could not be found`);
  });

  it('keeps the first line alone, without the colon that introduced the output, when the output has no error line', () => {
    expect(failureSummary(`${first}\nsome output`)).toBe(first.slice(0, -1));
    expect(failureSummary(`${first}\nsome output`, { oneLine: true })).toBe(first.slice(0, -1));
    expect(failureSummary('handler x.mjs failed: boom')).toBe('handler x.mjs failed: boom');
  });

  it('cuts long text', () => {
    expect(failureSummary(`x\nERROR! ${'y'.repeat(600)}`)).toHaveLength(501);
    expect(failureSummary(null)).toBe('');
  });
});

describe('failureHeading', () => {
  it("says whose failure a job's reason is, by its state", () => {
    expect(failureHeading('failed')).toBe('Failure');
    expect(failureHeading('completed')).toBe(
      'An earlier try failed (the job was retried and completed)',
    );
    for (const state of ['waiting', 'delayed', 'active'])
      expect(failureHeading(state)).toBe('The last try failed (the job is retried)');
  });
});
