import { describe, expect, it } from '@jest/globals';
import { jobArtifactsDir, relativeArtifact } from './check-layout.js';

describe('relativeArtifact', () => {
  const dir = jobArtifactsDir('/var/artifacts', 'u1');

  it('makes an absolute path inside the job directory relative to it', () => {
    expect(relativeArtifact(dir, '/var/artifacts/u1/logs/x.log')).toBe('logs/x.log');
  });

  it('keeps relative paths, paths elsewhere and the directory itself as given', () => {
    expect(relativeArtifact(dir, 'x.log')).toBe('x.log');
    expect(relativeArtifact(dir, '/etc/passwd')).toBe('/etc/passwd');
    expect(relativeArtifact(dir, '/var/artifacts/u10/x')).toBe('/var/artifacts/u10/x');
    expect(relativeArtifact(dir, '/var/artifacts/u1')).toBe('/var/artifacts/u1');
    expect(relativeArtifact(dir, undefined)).toBeUndefined();
  });
});
