import { describe, expect, it } from '@jest/globals';
import { failureSummary } from './failure-summary.js';

describe('failureSummary', () => {
  const first = 'ansible-playbook exited 2 on x.yml, a host failed: retried:';

  it("keeps the first line and ansible's error line, past the warnings", () => {
    const reason = [
      first,
      '[WARNING]: No inventory was parsed, only implicit localhost is available',
      '[WARNING]: provided hosts list is empty',
      'PLAY [all] ****',
      'TASK [fail] ****',
      'fatal: [localhost]: FAILED! => {"changed": false, "msg": "disk full"}',
      'PLAY RECAP ****',
    ].join('\n');
    expect(failureSummary(reason)).toBe(
      `${first}\nfatal: [localhost]: FAILED! => {"changed": false, "msg": "disk full"}`,
    );
  });

  it('keeps the first line alone when the output has no error line, and cuts long text', () => {
    expect(failureSummary(`${first}\nsome output`)).toBe(first);
    expect(failureSummary('handler threw: boom')).toBe('handler threw: boom');
    expect(failureSummary(`x\nERROR! ${'y'.repeat(600)}`)).toHaveLength(501);
    expect(failureSummary(null)).toBe('');
  });
});
