import { describe, expect, it } from '@jest/globals';
import { hardwareSection } from './section.js';

describe('the hardware section', () => {
  it('tracks releng-hardware by default', () => {
    expect(hardwareSection.parse({})).toEqual({
      enabled: true,
      provisioner: 'releng-hardware',
      stale_after: 21600,
    });
  });

  it.each(['', 'releng.hardware', 'releng-*', '#', 'x'.repeat(129)])(
    'refuses provisioner %j, which no routing-key word can equal',
    (provisioner) => {
      const parsed = hardwareSection.safeParse({ provisioner });
      expect(parsed.error?.issues).toMatchObject([
        { path: ['provisioner'], message: expect.stringMatching(/Taskcluster provisionerId/) },
      ]);
    },
  );

  it('takes any provisionerId Taskcluster allows', () => {
    expect(hardwareSection.parse({ provisioner: 'proj-releng_hw-2' }).provisioner).toBe(
      'proj-releng_hw-2',
    );
  });

  it('takes a stale_after of up to a hundred years, as the stale filter does', () => {
    expect(hardwareSection.parse({ stale_after: 36500 * 86400 }).stale_after).toBe(3153600000);
    expect(hardwareSection.safeParse({ stale_after: 1e30 }).error?.issues).toMatchObject([
      { path: ['stale_after'], message: 'must be at most 3153600000 seconds (36500d)' },
    ]);
  });
});
