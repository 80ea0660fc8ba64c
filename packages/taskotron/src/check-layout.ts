import { isAbsolute, join, relative, sep } from 'node:path';

/**
 * Where a check's files are. A check is `<tasks_dir>/<taskname>/tests.yml` (an STI playbook);
 * a job's artifacts are `<artifacts_dir>/<uuid>/`, given to the playbook as `artifacts`, where it
 * leaves its results (RESULT_FILES). The runner adds the playbook's output (`taskotron.log`,
 * libtaskotron's name) and a marker of the job that owns the directory.
 */
export const CHECK_FILES = {
  playbook: 'tests.yml',
  log: 'taskotron.log',
  /** Hidden, so the artifacts server does not show it. */
  owner: '.loopabull-job',
} as const;

/**
 * Where in `artifacts` a check may leave its results, the first that exists being read:
 * ResultYAML as `results.yml`, or where Taskotron's and checkb's STI checks write it
 * (`{{ artifacts }}/taskotron/results.yml`, `checkb/results.yml`), else TAP 13 (`results.tap`)
 * for older checks.
 */
export const RESULT_FILES = [
  { name: 'results.yml', format: 'yaml' },
  { name: 'taskotron/results.yml', format: 'yaml' },
  { name: 'checkb/results.yml', format: 'yaml' },
  { name: 'results.tap', format: 'tap' },
] as const;

export const jobArtifactsDir = (artifactsDir: string, uuid: string): string =>
  join(artifactsDir, uuid);

/**
 * A result's `artifact` as a path inside the job's directory: checks often write the absolute
 * `{{ artifacts }}/x.log`, which checkb made relative. Absolute paths elsewhere stay as given
 * (refUrl then points at the directory).
 */
export function relativeArtifact(dir: string, artifact: string | undefined): string | undefined {
  if (artifact === undefined || !isAbsolute(artifact)) return artifact;
  const rel = relative(dir, artifact);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel)
    ? rel.split(sep).join('/')
    : artifact;
}
