import type pino from 'pino';
import {
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_PEEK_MAX,
  DEFAULT_STOP_GRACE_MS,
  DELIVERY_LIMIT_REASON,
  buildJob,
  checkDeliveryLimit,
  checkOutcome,
  checkPrefetch,
  queueClosedError,
  retryCopy,
  silentLogger,
  WakeSignal,
} from './job.ts';
import type { ConsumeOptions, Consumer, DeadLetter, Delivery, Handler, JobMessage, Outcome, PublishOptions, Queue, QueueDepth } from './port.ts';

/**
 * The queue in memory, for embedded mode and tests. It mimics the RabbitMQ adapter rather than
 * being a simpler queue: jobs are stored as JSON, a job that comes back without an outcome goes
 * to the head of the queue and counts towards the delivery limit, delays never end early, and a
 * stopped consumer's late outcome is ignored. Nothing survives the process.
 */
export interface InProcessQueueOptions {
  /** Returns without an outcome tolerated before dead-lettering; see DEFAULT_DELIVERY_LIMIT. */
  deliveryLimit?: number;
  logger?: pino.Logger;
}

export function createInProcessQueue(opts: InProcessQueueOptions = {}): Queue {
  const deliveryLimit = opts.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  checkDeliveryLimit(deliveryLimit);
  return new InProcessQueue(deliveryLimit, opts.logger ?? silentLogger);
}

/** A job at rest: serialized like on a broker, so every delivery hands out a fresh copy. */
interface StoredJob {
  body: string;
  /** Deliveries that ended without an outcome, RabbitMQ's x-delivery-count. */
  returns: number;
}

interface InHand {
  stored: StoredJob;
  /** Set when the delivery went back to the queue at stop: its outcome must not count any more. */
  returned: boolean;
}

class InProcessQueue implements Queue {
  private readonly ready: StoredJob[] = [];
  private readonly dead: { body: string; reason: string }[] = [];
  private readonly consumers: InProcessConsumer[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private nextConsumer = 0;
  private closed = false;

  constructor(
    private readonly deliveryLimit: number,
    private readonly logger: pino.Logger,
  ) {}

  async publish(name: string, payload: unknown, opts: PublishOptions = {}): Promise<void> {
    if (this.closed) throw queueClosedError();
    const job = buildJob(name, payload, opts);
    this.enqueueAfter(job, opts.delayMs ?? 0);
  }

  async consume(handler: Handler, opts: ConsumeOptions): Promise<Consumer> {
    if (this.closed) throw queueClosedError();
    checkPrefetch(opts.prefetch);
    const consumer = new InProcessConsumer(this, handler, opts.prefetch, this.logger);
    this.consumers.push(consumer);
    this.dispatch();
    return consumer;
  }

  async ping(): Promise<void> {
    if (this.closed) throw queueClosedError();
  }

  async countReady(): Promise<number> {
    return this.ready.length;
  }

  async depth(): Promise<QueueDepth> {
    // One timer per delayed job (a timer that fires early is replaced, never added to).
    return { ready: this.ready.length, delayed: this.timers.size, dead: this.dead.length };
  }

  async peekDeadLetters(max = DEFAULT_PEEK_MAX): Promise<DeadLetter[]> {
    return this.dead.slice(0, max).map(({ body, reason }) => ({ job: JSON.parse(body) as JobMessage, reason }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.consumers].map((consumer) => consumer.stop(0)));
  }

  /** Called by a consumer for a delivery that reached its outcome in time. */
  settle(stored: StoredJob, outcome: Outcome): void {
    const job = JSON.parse(stored.body) as JobMessage;
    if (outcome.kind === 'retry') this.enqueueAfter(retryCopy(job, outcome), outcome.delayMs);
    if (outcome.kind === 'dead') this.dead.push({ body: stored.body, reason: outcome.reason });
    this.dispatch();
  }

  /** A delivery ended without an outcome: back to the head of the queue, like a broker requeue. */
  giveBack(stored: StoredJob): void {
    stored.returns += 1;
    if (stored.returns > this.deliveryLimit) {
      this.logger.warn({ job: JSON.parse(stored.body) as JobMessage }, 'job dead-lettered: delivery limit exceeded');
      this.dead.push({ body: stored.body, reason: DELIVERY_LIMIT_REASON });
    } else {
      this.ready.unshift(stored);
    }
    this.dispatch();
  }

  detach(consumer: InProcessConsumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
  }

  dispatch(): void {
    while (this.ready.length > 0) {
      const consumer = this.nextFreeConsumer();
      if (!consumer) return;
      consumer.deliver(this.ready.shift()!);
    }
  }

  private nextFreeConsumer(): InProcessConsumer | undefined {
    for (let i = 0; i < this.consumers.length; i += 1) {
      const index = (this.nextConsumer + i) % this.consumers.length;
      const consumer = this.consumers[index]!;
      if (consumer.hasRoom()) {
        this.nextConsumer = (index + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  private enqueueAfter(job: JobMessage, delayMs: number): void {
    const stored: StoredJob = { body: JSON.stringify(job), returns: 0 };
    if (delayMs > 0) {
      this.enqueueAt(Date.now() + delayMs, stored);
    } else {
      this.ready.push(stored);
      this.dispatch();
    }
  }

  /** Timers may fire a millisecond early; waiting again for the rest keeps "never earlier" true. */
  private enqueueAt(dueAtMs: number, stored: StoredJob): void {
    const waitMs = dueAtMs - Date.now();
    if (waitMs <= 0) {
      this.ready.push(stored);
      this.dispatch();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueueAt(dueAtMs, stored);
    }, waitMs);
    this.timers.add(timer);
  }
}

class InProcessConsumer implements Consumer {
  private readonly inHand = new Set<InHand>();
  private readonly idle = new WakeSignal();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly queue: InProcessQueue,
    private readonly handler: Handler,
    private readonly prefetch: number,
    private readonly logger: pino.Logger,
  ) {}

  hasRoom(): boolean {
    return !this.stopping && this.inHand.size < this.prefetch;
  }

  deliver(stored: StoredJob): void {
    const hand: InHand = { stored, returned: false };
    this.inHand.add(hand);
    const delivery: Delivery = { job: JSON.parse(stored.body) as JobMessage, redelivered: stored.returns > 0 };
    void this.run(hand, delivery);
  }

  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async run(hand: InHand, delivery: Delivery): Promise<void> {
    const outcome = await this.outcomeOf(delivery);
    if (hand.returned) {
      this.logger.debug({ jobId: delivery.job.id }, 'late outcome ignored: the job went back to the queue at stop');
      return;
    }
    this.inHand.delete(hand);
    if (outcome) this.queue.settle(hand.stored, outcome);
    else this.queue.giveBack(hand.stored);
    this.wakeIfIdle();
  }

  private async outcomeOf(delivery: Delivery): Promise<Outcome | undefined> {
    try {
      // Yield first so that, as with a broker, the handler never runs inside publish() or consume().
      await Promise.resolve();
      return checkOutcome(await this.handler(delivery));
    } catch (err) {
      this.logger.warn({ err, jobId: delivery.job.id }, 'handler failed: job requeued');
      return undefined;
    }
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.queue.detach(this);
    await this.idleOrTimeout(graceMs);
    // Reversed so that the unshifts leave them at the head in their original order.
    for (const hand of [...this.inHand].reverse()) {
      hand.returned = true;
      this.queue.giveBack(hand.stored);
    }
    this.inHand.clear();
  }

  private idleOrTimeout(graceMs: number): Promise<void> {
    return this.inHand.size === 0 ? Promise.resolve() : this.idle.wait(graceMs);
  }

  private wakeIfIdle(): void {
    if (this.inHand.size === 0) this.idle.wake();
  }
}
