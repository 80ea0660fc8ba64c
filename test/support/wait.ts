/**
 * Resolves with the first truthy value of `check`, polled until `timeout` ms. For state that
 * lives in another process (Redis, a file a playbook writes), where there is no event to await.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeout = 20_000,
    interval = 50,
    what = 'condition',
  }: { timeout?: number; interval?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeout} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
