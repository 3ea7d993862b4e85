/**
 * At most `limit` runs of `pass` at once; the others wait their turn, first come first served.
 * (A counting semaphore: the worker bounds its working jobs with it, beside the paced ones.)
 */
export interface Gate {
  pass<T>(work: () => Promise<T>): Promise<T>;
}

export function createGate(limit: number): Gate {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a gate needs a whole limit ≥ 1');
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async pass(work) {
      if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else running++;
      try {
        return await work();
      } finally {
        // The slot goes straight to the next in line, so a newcomer cannot overtake it.
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}
