/**
 * Resolves after the event loop has had a turn (I/O callbacks included). Long synchronous work
 * (parsing and preparing thousands of rows) awaits it every so often, so replies from the
 * database waiting meanwhile are handled promptly: promises alone would run as microtasks,
 * ahead of any I/O.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
