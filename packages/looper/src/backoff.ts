/** Exponential backoff: `initial` ms before the first retry, doubling, never above `max`. */
export function backoffDelay(attempt: number, initial: number, max: number): number {
  return Math.min(max, initial * 2 ** Math.max(0, attempt));
}
