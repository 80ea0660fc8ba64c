import { describe, expect, it } from '@jest/globals';
import { binaryArches, jobArtifact, jobArtifactsDir } from './check-layout.js';

describe('jobArtifact', () => {
  const dir = jobArtifactsDir('/var/artifacts', 'u1');

  it("reads a relative artifact in its playbook's directory, where the check wrote it", () => {
    expect(jobArtifact(dir, 'tests.yml', 'name-lint.log')).toBe('tests.yml/name-lint.log');
    expect(jobArtifact(dir, 'tests_b.yml', 'logs/./x.log')).toBe('tests_b.yml/logs/x.log');
    // Into another playbook's directory: still the job's.
    expect(jobArtifact(dir, 'tests_b.yml', '../tests.yml/x.log')).toBe('tests.yml/x.log');
  });

  it('makes an absolute one inside the job directory relative to it, and keeps others as given', () => {
    expect(jobArtifact(dir, 'tests.yml', '/var/artifacts/u1/tests.yml/x.log')).toBe(
      'tests.yml/x.log',
    );
    expect(jobArtifact(dir, 'tests.yml', '/etc/passwd')).toBe('/etc/passwd');
    expect(jobArtifact(dir, 'tests.yml', '/var/artifacts/u10/x')).toBe('/var/artifacts/u10/x');
    expect(jobArtifact(dir, 'tests.yml', '/var/artifacts/u1')).toBe('/var/artifacts/u1');
    expect(jobArtifact(dir, 'tests.yml', '../../u2/x.log')).toBe('../../u2/x.log');
    // The job's directory itself: refUrl makes it the directory's URL.
    expect(jobArtifact(dir, 'tests.yml', '..')).toBe('.');
    expect(jobArtifact(dir, 'tests.yml', '../..')).toBe('../..');
    expect(jobArtifact(dir, 'tests.yml', undefined)).toBeUndefined();
  });
});

describe('binaryArches', () => {
  it("gives checkb's binary arches of the supported ones, without noarch, each once", () => {
    expect(binaryArches(['x86_64', 'armhfp'])).toEqual(['x86_64', 'armhfp', 'armv7hl']);
    expect(binaryArches(['i386', 'noarch', 'x86_64', 'i386'])).toEqual([
      'i386',
      'i486',
      'i586',
      'i686',
      'x86_64',
    ]);
    expect(binaryArches(['riscv64', 'src'])).toEqual(['riscv64']);
  });
});
