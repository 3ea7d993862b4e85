import type { Queue } from '../../lib/queue/port.ts';

/**
 * Takes `count` jobs off the queue and acknowledges them without doing them: jobs lost the way a
 * broker or a broken consumer loses them. Returns their names.
 */
export async function loseJobs(queue: Queue, count: number): Promise<string[]> {
  const lost: string[] = [];
  const consumer = await queue.consume(async (delivery) => {
    lost.push(delivery.job.name);
    return { kind: 'ack' };
  }, { prefetch: count });
  const deadline = Date.now() + 10_000;
  while (lost.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${lost.length} of ${count} jobs arrived to be lost`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await consumer.stop(1_000);
  return lost;
}

/**
 * The queue as a worker sees a broker that refuses one publish: the first job matching `refuse`
 * is not stored and its publish rejects; everything else goes through.
 */
export function refusingOnce(queue: Queue, refuse: (name: string, payload: unknown) => boolean): Queue & { refused: number } {
  const wrapper = {
    refused: 0,
    publish: async (name: string, payload: unknown, opts?: Parameters<Queue['publish']>[2]) => {
      if (wrapper.refused === 0 && refuse(name, payload)) {
        wrapper.refused += 1;
        throw new Error('the broker refused the publish (channel closed)');
      }
      return queue.publish(name, payload, opts);
    },
    consume: queue.consume.bind(queue),
    ping: queue.ping.bind(queue),
    countReady: queue.countReady.bind(queue),
    depth: queue.depth.bind(queue),
    peekDeadLetters: queue.peekDeadLetters.bind(queue),
    close: queue.close.bind(queue),
  };
  return wrapper;
}
