/** A failed run of a playbook or handler: its exit code, and whether another try could do better. */
export class RunError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'RunError';
  }
}
