/**
 * A failed run of a playbook or handler: its exit code, and whether another try could do better.
 * Its message is `summary` (what failed: the exit code or signal, the file) followed by the
 * tail of the output that shows why, if there is any, as a worker records it.
 */
export class RunError extends Error {
  constructor(
    readonly summary: string,
    readonly exitCode: number | null,
    readonly permanent: boolean,
    /** The last lines of the run's output; empty when it printed nothing or is a handler. */
    readonly output = '',
  ) {
    // A run killed before it printed anything has no output: the message must not end in a
    // colon that leads nowhere.
    super(output.trim() === '' ? summary : `${summary}:\n${output}`);
    this.name = 'RunError';
  }

  /**
   * The same failure without the output's tail, for a caller that printed the output as it came
   * (`loopabull run`): an operator would read it twice.
   */
  withoutOutput(): RunError {
    return new RunError(this.summary, this.exitCode, this.permanent);
  }
}
