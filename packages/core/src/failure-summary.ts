/** Longest summary shown in a table cell; the whole reason is on the job's page and in `jobs show`. */
const MAX_CHARS = 500;

/** Ansible's own error line: a task's `fatal:`/`failed:`, or `ERROR!` for a playbook it cannot run. */
const ANSIBLE_ERROR = /^\s*(fatal:|failed:|ERROR!)/;

/**
 * What a failed job's row says (the dashboard's, `jobs list`'s): the reason's first line (what
 * failed, how, and why it is or is not retried) and, from the output after it, ansible's first
 * error line. The output starts with ansible's warnings, so its first characters would hide the
 * line that says what went wrong. The first line ends in a colon that introduces the output: it
 * is dropped when no error line follows. `oneLine` joins the two with a space, for a terminal.
 */
export function failureSummary(reason: string | null, opts: { oneLine?: boolean } = {}): string {
  if (!reason) return '';
  const [first = '', ...output] = reason.split('\n');
  const error = output.find((line) => ANSIBLE_ERROR.test(line));
  const text =
    error === undefined
      ? first.replace(/:\s*$/, '')
      : `${first}${opts.oneLine ? ' ' : '\n'}${error.trim()}`;
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}

/**
 * What a job's failure reason is, by the job's state: BullMQ keeps the reason of the last failed
 * try after a retry succeeds, and "completed" beside a bare "Failure" read as a contradiction.
 */
export function failureHeading(state: string): string {
  if (state === 'failed') return 'Failure';
  if (state === 'completed') return 'An earlier try failed (the job was retried and completed)';
  return 'The last try failed (the job is retried)';
}
