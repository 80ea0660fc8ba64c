export type ExitVerdict = 'success' | 'permanent' | 'retryable';

export interface ExitInfo {
  /** null when the process was ended by a signal. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL`), as Node names it; null or absent when none did. */
  signal?: string | null;
  /** Its output (or the tail of it). */
  output: string;
  /** Killed by us at `ansible.timeout`. */
  timedOut?: boolean;
  /** argparse's `ansible-playbook: error: …` line when it refused the command line, else null. */
  usageError?: string | null;
}

export interface Classification {
  verdict: ExitVerdict;
  /** Why, for the job's failure reason. */
  reason: string;
}

/**
 * How ansible-playbook starts an error of its own: `ERROR!` up to 2.18, `[ERROR]:` from 2.19,
 * after the colour's escape sequence (`\x1b[0;31m`) when colour is forced (ANSIBLE_FORCE_COLOR,
 * `force_color` in ansible.cfg).
 */
// eslint-disable-next-line no-control-regex -- the escape that starts a colour is the point
const ANSIBLE_ERROR = /^(?:\x1b\[[0-9;]*m)*(?:ERROR!|\[ERROR\]:)/m;

/** ansible-playbook's own error line, at a line start, that begins with `text`. */
const ansibleError = (text: string) =>
  new RegExp(`${ANSIBLE_ERROR.source} ${text}`, ANSIBLE_ERROR.flags);

/** ansible-playbook's error for a role the playbook names that is not installed (exit 1). */
const ROLE_NOT_FOUND = ansibleError(`the role '[^'\\n]*' was not found`);

/** Its error for a file an `import_playbook` or `import_tasks` names that is missing (exit 1). */
const IMPORT_NOT_FOUND = ansibleError('Unable to retrieve file contents');

/**
 * Which ansible-playbook failures can get better on another try. The ones that cannot (the
 * playbook or a role it names is missing, it does not parse, bad options, a command line it
 * refuses) fail at once instead of using up retries;
 * anything unknown is retried, since the retries are bounded anyway.
 */
export function classifyExit({
  exitCode,
  signal = null,
  output,
  timedOut = false,
  usageError = null,
}: ExitInfo): Classification {
  if (timedOut)
    return {
      verdict: 'retryable',
      reason: 'killed at the run timeout (ansible.timeout) with its process group',
    };
  switch (exitCode) {
    case 0:
      return { verdict: 'success', reason: 'ok' };
    case null:
      // Not at ansible.timeout (above): the name tells an operator who, SIGKILL being often the
      // kernel's, out of memory.
      return { verdict: 'retryable', reason: `killed by ${signal ?? 'a signal'}` };
    case 1:
      if (output.includes('could not be found'))
        return { verdict: 'permanent', reason: 'playbook not found' };
      // As broken as a module it cannot resolve (exit 4): no try finds the role until it is installed.
      if (ROLE_NOT_FOUND.test(output)) return { verdict: 'permanent', reason: 'role not found' };
      if (IMPORT_NOT_FOUND.test(output))
        return { verdict: 'permanent', reason: 'a file it imports not found' };
      return { verdict: 'retryable', reason: 'error' };
    case 2:
      // argparse's exit code too: a command line it cannot parse is as bad as exit 5's options.
      if (usageError) return { verdict: 'permanent', reason: `bad options: ${usageError}` };
      return { verdict: 'retryable', reason: 'one or more hosts failed' };
    case 4:
      if (output.includes('UNREACHABLE'))
        return { verdict: 'retryable', reason: 'one or more hosts unreachable' };
      return ANSIBLE_ERROR.test(output)
        ? { verdict: 'permanent', reason: 'parse error' }
        : { verdict: 'retryable', reason: 'hosts unreachable or parse error' };
    case 5:
      return { verdict: 'permanent', reason: 'bad options' };
    case 99:
      return { verdict: 'retryable', reason: 'interrupted' };
    case 250:
      return { verdict: 'retryable', reason: 'unexpected exception in ansible' };
    default:
      return { verdict: 'retryable', reason: `unexpected exit code ${exitCode}` };
  }
}
