import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep } from 'node:path';

/**
 * Where a check's files are. A check is a directory `<tasks_dir>/<taskname>/` holding one or more
 * STI playbooks `tests*.yml` (`tests.yml`, `tests_upgrade.yml`...), each run in turn, as checkb
 * ran them. A job's artifacts are `<artifacts_dir>/<uuid>/`, and each playbook's
 * `<artifacts_dir>/<uuid>/<playbook file name>/` (checkb's `<artifactsdir>/<uuid>/tests.yml/`),
 * given to it as `artifacts`, where it leaves its results (RESULT_FILES). The runner adds the
 * playbook's output (`taskotron.log`, libtaskotron's name) there, and a marker of the job that owns
 * the job's directory.
 */
export const CHECK_FILES = {
  /** What checkb ran (`fnmatch.filter(os.listdir(taskdir), 'tests*.yml')`). */
  playbooks: 'tests*.yml',
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

/** fnmatch's `tests*.yml`: case-sensitive, as on Linux; `*` may be empty. */
const PLAYBOOK_NAME = /^tests.*\.yml$/s;

/** Whether a file of a check's directory is one of its playbooks, by name (`tests*.yml`). */
export const isCheckPlaybook = (name: string): boolean => PLAYBOOK_NAME.test(name);

/** A check's playbooks, and those left out for leading out of its repository. */
export interface CheckPlaybooks {
  /** In name order. */
  run: string[];
  /** Links that resolve outside `within`, in name order. */
  outside: string[];
  /** Why the directory could not be listed (`no such directory`), or null. */
  unreadable: string | null;
}

/**
 * The check's playbooks, in name order (checkb took `os.listdir`'s order, which is none): the
 * regular files (or links to them) named `tests*.yml`. Empty when there are none or no directory.
 * With `within` (a discovered check's clone), a link that resolves outside that directory is no
 * playbook but `outside`: a repository must not make the runner run a file of the machine
 * (`tests.yml -> /etc/passwd`, a link to another check's playbook).
 */
export async function checkPlaybooks(taskDir: string, within?: string): Promise<CheckPlaybooks> {
  const names = await readdir(taskDir).catch((err: NodeJS.ErrnoException) => err);
  if (!Array.isArray(names)) {
    const unreadable = names.code === 'ENOENT' ? 'no such directory' : names.message;
    return { run: [], outside: [], unreadable };
  }
  const root = within === undefined ? undefined : await realpath(within);
  const found: CheckPlaybooks = { run: [], outside: [], unreadable: null };
  for (const name of names.filter(isCheckPlaybook).sort()) {
    const path = join(taskDir, name);
    if (!(await stat(path).catch(() => null))?.isFile()) continue;
    const inside =
      root === undefined || (await realpath(path).catch(() => '')).startsWith(root + sep);
    (inside ? found.run : found.outside).push(name);
  }
  return found;
}

/**
 * An absolute `artifact` as a path inside the job's directory: checks often write the absolute
 * `{{ artifacts }}/x.log`, which checkb made relative. Absolute paths elsewhere stay as given
 * (refUrl then points at the directory).
 */
function relativeArtifact(dir: string, artifact: string): string {
  const rel = relative(dir, artifact);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel)
    ? rel.split(sep).join('/')
    : artifact;
}

/**
 * A result's `artifact` as a path inside the job's directory, for `ref_url`: a relative one is
 * relative to its playbook's directory (where the check wrote it, `{{ artifacts }}`), an absolute
 * one inside the job's directory is made relative to it. One that leads out of the job's
 * directory stays as given (refUrl then points at the directory).
 */
export function jobArtifact(
  jobDir: string,
  playbook: string,
  artifact: string | undefined,
): string | undefined {
  if (artifact === undefined) return undefined;
  if (isAbsolute(artifact)) return relativeArtifact(jobDir, artifact);
  const inJob = posix.normalize(`${playbook}/${artifact.split(sep).join('/')}`);
  return inJob === '..' || inJob.startsWith('../') ? artifact : inJob;
}

/** checkb's `arch_utils.Arches.binary`: the binary arches of each base arch. */
const BINARY_ARCHES: Record<string, readonly string[]> = {
  aarch64: ['aarch64'],
  armhfp: ['armhfp', 'armv7hl'],
  i386: ['i386', 'i486', 'i586', 'i686'],
  ppc64: ['ppc64'],
  ppc64le: ['ppc64le'],
  s390x: ['s390x'],
  x86_64: ['x86_64'],
};

/**
 * checkb's `supported_binary_arches`: the binary arches of the supported base arches
 * (`[x86_64, armhfp]` -> `[x86_64, armhfp, armv7hl]`). An arch checkb did not know is its own
 * binary arch; `noarch` and `src` name no machine and are left out.
 */
export function binaryArches(arches: readonly string[]): string[] {
  const binary = arches
    .filter((a) => a !== 'noarch' && a !== 'src')
    .flatMap((a) => (Object.hasOwn(BINARY_ARCHES, a) ? BINARY_ARCHES[a]! : [a]));
  return [...new Set(binary)];
}
