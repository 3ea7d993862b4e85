import type { Channel, ConsumeMessage } from 'amqplib';
import { DEFAULT_STOP_GRACE_MS, checkOutcome, parseJob, retryCopy, WakeSignal } from './job.ts';
import type { Consumer, Delivery, Handler, JobMessage, Outcome } from './port.ts';
import type { Link, Session, Settings } from './rabbitmq-link.ts';

/**
 * One consumer of the RabbitMQ adapter: its own channel (prefetch is per channel), opened again
 * on every new connection. Deliveries from a channel that closed were requeued by the broker,
 * so their late acks are skipped.
 */
export interface ConsumerDeps {
  handler: Handler;
  prefetch: number;
  settings: Settings;
  link: Link;
  publishJob(job: JobMessage, delayMs: number): Promise<void>;
  publishDead(job: JobMessage, reason: string): Promise<void>;
  onStop(consumer: RabbitConsumer): void;
}

/** One consumer channel; replaced by a new lane on every reconnection. */
interface Lane {
  readonly channel: Channel;
  readonly session: Session;
  consumerTag?: string;
  open: boolean;
  /** We are closing it ourselves (stop): not a failure to recover from. */
  closing: boolean;
}

interface InHand {
  readonly lane: Lane;
  readonly message: ConsumeMessage;
  /** Acked, nacked, or requeued by the broker: any further ack/nack must be skipped. */
  settled: boolean;
}

export class RabbitConsumer implements Consumer {
  private lane: Lane | undefined;
  private attachedTo: Session | undefined;
  private readonly inHand = new Set<InHand>();
  private readonly idle = new WakeSignal();
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: ConsumerDeps) {}

  /** Starts consuming on `session`; called once per connection. */
  async attach(session: Session): Promise<void> {
    if (this.stopping || this.attachedTo === session) return;
    this.attachedTo = session;
    try {
      await this.openLane(session);
    } catch (err) {
      // A reconnection may have attached us to a newer session meanwhile; keep that one.
      if (this.attachedTo === session) this.attachedTo = undefined;
      throw err;
    }
  }

  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async openLane(session: Session): Promise<void> {
    const { settings, prefetch } = this.deps;
    const channel = await session.model.createChannel();
    const lane: Lane = { channel, session, open: true, closing: false };
    this.lane = lane;
    channel.on('error', (err: unknown) => settings.logger.warn({ err }, 'RabbitMQ consumer channel error'));
    channel.on('close', () => this.laneClosed(lane));
    await channel.prefetch(prefetch);
    const { consumerTag } = await channel.consume(settings.names.jobs, (message) => this.onMessage(lane, message), { noAck: false });
    lane.consumerTag = consumerTag;
    if (this.stopping) await this.closeLane(lane);
  }

  private onMessage(lane: Lane, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us (the queue was deleted): rebuilding the connection redeclares it.
      this.deps.link.drop(lane.session, 'consumer cancelled by the broker');
      return;
    }
    void this.handle(lane, message);
  }

  private async handle(lane: Lane, message: ConsumeMessage): Promise<void> {
    const job = parseJob(message.content.toString('utf8'));
    const hand: InHand = { lane, message, settled: false };
    if (!job) {
      this.deps.settings.logger.error({ messageId: message.properties.messageId }, 'not a job message: dead-lettered');
      this.settle(hand, (channel) => channel.nack(message, false, false));
      return;
    }
    this.inHand.add(hand);
    try {
      const outcome = await this.outcomeOf({ job, redelivered: message.fields.redelivered });
      if (hand.settled) {
        this.deps.settings.logger.debug({ jobId: job.id }, 'late outcome ignored: the delivery went back to the queue');
        return;
      }
      await this.carryOut(hand, job, outcome);
    } catch (err) {
      this.deps.settings.logger.error({ err, jobId: job.id }, 'could not carry out the outcome: job requeued');
      this.settle(hand, (channel) => channel.nack(message, false, true));
    } finally {
      this.inHand.delete(hand);
      this.wakeIfIdle();
    }
  }

  private async outcomeOf(delivery: Delivery): Promise<Outcome | undefined> {
    try {
      return checkOutcome(await this.deps.handler(delivery));
    } catch (err) {
      this.deps.settings.logger.warn({ err, jobId: delivery.job.id }, 'handler failed: job requeued');
      return undefined;
    }
  }

  private async carryOut(hand: InHand, job: JobMessage, outcome: Outcome | undefined): Promise<void> {
    const { message } = hand;
    if (!outcome) {
      this.settle(hand, (channel) => channel.nack(message, false, true));
      return;
    }
    // The copy must be stored before the original is acked, or a crash in between loses the job.
    if (outcome.kind === 'retry') await this.deps.publishJob(retryCopy(job, outcome), outcome.delayMs);
    if (outcome.kind === 'dead') await this.deps.publishDead(job, outcome.reason);
    this.settle(hand, (channel) => channel.ack(message));
  }

  /** Acks or nacks once, and only on the channel the delivery came from while it is open. */
  private settle(hand: InHand, action: (channel: Channel) => void): void {
    if (hand.settled || !hand.lane.open) return;
    hand.settled = true;
    try {
      action(hand.lane.channel);
    } catch (err) {
      // The channel closed under us: the broker requeues the delivery by itself.
      this.deps.settings.logger.debug({ err }, 'ack skipped: channel closed');
    }
  }

  private laneClosed(lane: Lane): void {
    lane.open = false;
    for (const hand of this.inHand) {
      if (hand.lane !== lane) continue;
      hand.settled = true;
      this.inHand.delete(hand);
    }
    this.wakeIfIdle();
    if (!lane.closing && !this.stopping) this.deps.link.drop(lane.session, 'consumer channel closed');
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.deps.onStop(this);
    const lane = this.lane;
    if (lane?.open && lane.consumerTag) {
      await lane.channel.cancel(lane.consumerTag).catch((err: unknown) => this.deps.settings.logger.debug({ err }, 'cancel failed'));
    }
    await this.idleOrTimeout(graceMs);
    for (const hand of this.inHand) this.settle(hand, (channel) => channel.nack(hand.message, false, true));
    this.inHand.clear();
    if (lane) await this.closeLane(lane);
  }

  private async closeLane(lane: Lane): Promise<void> {
    if (!lane.open) return;
    lane.closing = true;
    await lane.channel.close().catch(() => {});
  }

  private idleOrTimeout(graceMs: number): Promise<void> {
    return this.inHand.size === 0 ? Promise.resolve() : this.idle.wait(graceMs);
  }

  private wakeIfIdle(): void {
    if (this.inHand.size === 0) this.idle.wake();
  }
}
