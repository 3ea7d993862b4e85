import { DEFAULT_PEEK_MAX } from './job.ts';
import type { ConsumeOptions, Consumer, DeadLetter, Handler, PublishOptions, Queue, QueueDepth } from './port.ts';

/**
 * The job queue as two broker queues, one per kind of job: **paced** jobs (they spend their life
 * waiting for a provider's pace: sync steps, carrier polls) and **working** jobs (imports,
 * weather, deletions, expiry, pruning). A FIFO queue has no priorities: with thousands of shops'
 * steps queued, an import or a shop deletion published after them would wait until every one
 * was handed out, and a worker holding its paced jobs' worth of them would take nothing else.
 * On two queues each kind has its own prefetch, so neither stands in front of the other.
 *
 * Publishing picks the lane by the job's name. A consumer of the whole (`consume`) takes both
 * lanes with the same prefetch each; a worker consumes each lane with its own (`lanes`). Either
 * lane's consumer can run any job, so jobs left on the other lane by an older release still run.
 */
export interface LanedQueue extends Queue {
  readonly lanes: { paced: Queue; working: Queue };
}

export function createLanedQueue(lanes: { paced: Queue; working: Queue }, isPaced: (jobName: string) => boolean): LanedQueue {
  const all = [lanes.paced, lanes.working];
  const laneOf = (name: string) => (isPaced(name) ? lanes.paced : lanes.working);
  const sum = (depths: QueueDepth[]): QueueDepth => ({
    ready: depths.reduce((n, d) => n + d.ready, 0),
    delayed: depths.reduce((n, d) => n + d.delayed, 0),
    dead: depths.reduce((n, d) => n + d.dead, 0),
  });
  return {
    lanes,
    publish: (name: string, payload: unknown, opts?: PublishOptions) => laneOf(name).publish(name, payload, opts),
    async consume(handler: Handler, opts: ConsumeOptions): Promise<Consumer> {
      const consumers = await Promise.all(all.map((q) => q.consume(handler, opts)));
      return { stop: async (graceMs?: number) => void (await Promise.all(consumers.map((c) => c.stop(graceMs)))) };
    },
    ping: async () => void (await Promise.all(all.map((q) => q.ping()))),
    countReady: async () => (await Promise.all(all.map((q) => q.countReady()))).reduce((a, b) => a + b, 0),
    depth: async () => sum(await Promise.all(all.map((q) => q.depth()))),
    async peekDeadLetters(max = DEFAULT_PEEK_MAX): Promise<DeadLetter[]> {
      const working = await lanes.working.peekDeadLetters(max);
      return working.length >= max ? working : [...working, ...(await lanes.paced.peekDeadLetters(max - working.length))];
    },
    close: async () => void (await Promise.all(all.map((q) => q.close()))),
  };
}

export function isLanedQueue(queue: Queue): queue is LanedQueue {
  return 'lanes' in queue;
}
