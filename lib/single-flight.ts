/**
 * At most one run of `fn` at a time: whoever calls while it runs shares its outcome (the later
 * callers' arguments are not used), and the first call after it settles starts a new run. A token
 * refresh is the use: every request refused with the same stale token waits for one new token.
 */
export function singleFlight<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let running: Promise<T> | null = null;
  return (...args) =>
    (running ??= fn(...args).finally(() => {
      running = null;
    }));
}
