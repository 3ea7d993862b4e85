import amqp from 'amqplib';
import type { Channel, ConfirmChannel, GetMessage, Options } from 'amqplib';
import type pino from 'pino';
import { AppError } from '../errors.ts';
import {
  DEFAULT_DELIVERY_LIMIT,
  DEFAULT_PEEK_MAX,
  DELIVERY_LIMIT_REASON,
  buildJob,
  checkDelayMs,
  checkDeliveryLimit,
  checkPrefetch,
  parseJob,
  queueUnavailableError,
  silentLogger,
  sleep,
} from './job.ts';
import type { ConsumeOptions, Consumer, DeadLetter, Handler, JobMessage, PublishOptions, Queue, QueueDepth } from './port.ts';
import { RabbitConsumer } from './rabbitmq-consumer.ts';
import { CONNECT_TIMEOUT_MS, Link, topologyNames, type Session, type Settings } from './rabbitmq-link.ts';

/**
 * RabbitMQ adapter.
 *
 * Topology, every name under `prefix`:
 * - `<prefix>.jobs`: durable quorum queue with an explicit `x-delivery-limit` (RabbitMQ 3.10 has
 *   none by default), dead-lettering to `<prefix>.dead`. A job whose deliveries keep ending
 *   without an outcome (handler threw, consumer died) is dead-lettered by the broker itself.
 * - `<prefix>.dead`: durable classic queue, read with get + requeue so peeking removes nothing.
 * - `<prefix>.delay.<N>ms`: delay queues, see DELAYS below.
 *
 * DELAYS. No plugin and no consumer holding messages: a delayed job goes to a durable queue
 * without consumers whose queue-level `x-message-ttl` is the delay and which dead-letters expired
 * messages back to `<prefix>.jobs`. The TTL is per queue because per-message TTLs only expire at
 * the head of a queue: a 1 h job in front would hold back a 1 s one. Delay queues are created on
 * demand, one per delay bucket: the delay is rounded UP to two significant digits with a 100 ms
 * floor (1234 ms -> 1300 ms, 50 ms -> 100 ms), so delivery is never early and at most
 * max(10 %, 100 ms) late, while jittered rate-limit waits share a bounded set of queues. An
 * `x-expires` of delay + DELAY_QUEUE_IDLE_MS lets the broker delete buckets nobody uses any more;
 * it is far enough past the TTL that no message is still inside when a queue expires, because the
 * queue is redeclared (which renews that lease) at least every DELAY_REDECLARE_MS while in use.
 *
 * RECONNECTION. One connection holds a confirm channel for publishing and one channel per
 * consumer (prefetch is per consumer). When the connection or any of its channels drops, the
 * whole connection is dropped and rebuilt: backoff from 100 ms doubling to 5 s, topology
 * redeclared, active consumers started again. Deliveries from the dead channel were requeued by
 * the broker, so their late acks are skipped. publish() waits for a connection up to
 * `publishTimeoutMs`, and publishes again if the connection dropped before the broker confirmed
 * (at-least-once: a job may then be stored twice, with the same id).
 */
export interface RabbitQueueOptions {
  url: string;
  prefix?: string;
  /** Becomes the jobs queue's `x-delivery-limit`; see DEFAULT_DELIVERY_LIMIT. */
  deliveryLimit?: number;
  logger?: pino.Logger;
  /** How long publish() (and reads) wait for the broker during an outage before throwing. */
  publishTimeoutMs?: number;
}

export interface RabbitQueue extends Queue {
  /** For tests: deletes this prefix's queues, including the delay queues this instance made. Call after close(). */
  deleteTopology(): Promise<void>;
}

export const DEFAULT_PREFIX = 'shipsync';
const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;
const PING_TIMEOUT_MS = 5_000;
const REPUBLISH_PAUSE_MS = 100;
const DELAY_QUEUE_IDLE_MS = 10 * 60_000;
const DELAY_REDECLARE_MS = 60_000;
const DEAD_REASON_HEADER = 'x-shipsync-dead-reason';

export async function createRabbitQueue(opts: RabbitQueueOptions): Promise<RabbitQueue> {
  const deliveryLimit = opts.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT;
  checkDeliveryLimit(deliveryLimit);
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const settings: Settings = {
    url: opts.url,
    prefix,
    names: topologyNames(prefix),
    deliveryLimit,
    logger: opts.logger ?? silentLogger,
    publishTimeoutMs: opts.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
  };
  const queue = new RabbitQueueImpl(settings);
  await queue.start();
  return queue;
}

/** Deletes a prefix's main and dead queues and the given delay queues (for tests). */
export async function destroyRabbitTopology(url: string, prefix: string, delayQueues: Iterable<string> = []): Promise<void> {
  const names = topologyNames(prefix);
  const model = await amqp.connect(url, { timeout: CONNECT_TIMEOUT_MS });
  model.on('error', () => {});
  try {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    for (const queue of [names.jobs, names.dead, ...delayQueues]) await channel.deleteQueue(queue);
  } finally {
    await model.close().catch(() => {});
  }
}

/** The delay actually used for `delayMs`: the next bucket up, see DELAYS above. */
export function delayBucketMs(delayMs: number): number {
  const stepMs = Math.max(100, 10 ** (Math.floor(Math.log10(Math.max(delayMs, 1))) - 1));
  return Math.ceil(delayMs / stepMs) * stepMs;
}

class RabbitQueueImpl implements RabbitQueue {
  private readonly link: Link;
  private readonly consumers = new Set<RabbitConsumer>();
  private readonly delayQueuesMade = new Set<string>();

  constructor(private readonly settings: Settings) {
    this.link = new Link(settings, (session) => this.restartConsumers(session));
  }

  start(): Promise<void> {
    return this.link.connect();
  }

  async publish(name: string, payload: unknown, opts: PublishOptions = {}): Promise<void> {
    await this.publishJob(buildJob(name, payload, opts), opts.delayMs ?? 0);
  }

  async consume(handler: Handler, opts: ConsumeOptions): Promise<Consumer> {
    checkPrefetch(opts.prefetch);
    const session = await this.link.session(this.deadline());
    const consumer = new RabbitConsumer({
      handler,
      prefetch: opts.prefetch,
      settings: this.settings,
      link: this.link,
      publishJob: (job, delayMs) => this.publishJob(job, delayMs),
      publishDead: (job, reason) => this.publishDead(job, reason),
      onStop: (stopped) => this.consumers.delete(stopped),
    });
    this.consumers.add(consumer);
    try {
      await consumer.attach(session);
    } catch (err) {
      // A connection that broke meanwhile is not the caller's problem: the reconnection restarts the consumer.
      if (!session.broken) {
        this.consumers.delete(consumer);
        throw err;
      }
    }
    return consumer;
  }

  async ping(): Promise<void> {
    const session = await this.link.session(Date.now());
    await withTimeout(
      this.withTempChannel(session, (channel) => channel.checkQueue(this.settings.names.jobs)),
      PING_TIMEOUT_MS,
      'RabbitMQ did not answer the ping',
    );
  }

  async countReady(): Promise<number> {
    const session = await this.link.session(this.deadline());
    const { messageCount } = await this.withTempChannel(session, (channel) => channel.checkQueue(this.settings.names.jobs));
    return messageCount;
  }

  async depth(): Promise<QueueDepth> {
    const session = await this.link.session(this.deadline());
    const count = async (queue: string): Promise<number | undefined> => {
      try {
        // One channel per queue: checking a queue that is gone closes its channel.
        return (await this.withTempChannel(session, (channel) => channel.checkQueue(queue))).messageCount;
      } catch {
        return undefined;
      }
    };
    const [ready, dead, ...delays] = await Promise.all([this.settings.names.jobs, this.settings.names.dead, ...this.delayQueuesMade].map(count));
    if (ready === undefined) throw queueUnavailableError(`RabbitMQ did not answer for ${this.settings.names.jobs}.`);
    return { ready, dead: dead ?? 0, delayed: delays.reduce<number>((sum, n) => sum + (n ?? 0), 0) };
  }

  async peekDeadLetters(max = DEFAULT_PEEK_MAX): Promise<DeadLetter[]> {
    const session = await this.link.session(this.deadline());
    return this.withTempChannel(session, async (channel) => {
      const letters: DeadLetter[] = [];
      // Unacked messages are not handed out again by get, so each get returns the next one.
      while (letters.length < max) {
        const message = await channel.get(this.settings.names.dead, { noAck: false });
        if (!message) break;
        letters.push(readDeadLetter(message));
      }
      channel.nackAll(true);
      return letters;
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop(0)));
    await this.link.close();
  }

  deleteTopology(): Promise<void> {
    return destroyRabbitTopology(this.settings.url, this.settings.prefix, this.delayQueuesMade);
  }

  private deadline(): number {
    return Date.now() + this.settings.publishTimeoutMs;
  }

  private async restartConsumers(session: Session): Promise<void> {
    for (const consumer of this.consumers) await consumer.attach(session);
  }

  private async publishJob(job: JobMessage, delayMs: number): Promise<void> {
    checkDelayMs(delayMs);
    const content = Buffer.from(JSON.stringify(job));
    const props = jobProperties(job);
    await this.publishConfirmed(job, content, props, (session) => this.targetQueue(session, delayMs));
  }

  private async publishDead(job: JobMessage, reason: string): Promise<void> {
    const content = Buffer.from(JSON.stringify(job));
    const props = jobProperties(job);
    props.headers = { [DEAD_REASON_HEADER]: reason };
    await this.publishConfirmed(job, content, props, async () => this.settings.names.dead);
  }

  /** Publishes until the broker confirms, across reconnections, until the publish timeout. */
  private async publishConfirmed(
    job: JobMessage,
    content: Buffer,
    props: Options.Publish,
    target: (session: Session) => Promise<string>,
  ): Promise<void> {
    try {
      await this.publishUntil(this.deadline(), job, content, props, target);
    } catch (err) {
      if (err instanceof AppError && err.code === 'queue_closed') throw err;
      throw queueUnavailableError(`Job ${job.id} (${job.name}) was not confirmed by RabbitMQ within ${this.settings.publishTimeoutMs} ms.`, err);
    }
  }

  private async publishUntil(
    deadlineMs: number,
    job: JobMessage,
    content: Buffer,
    props: Options.Publish,
    target: (session: Session) => Promise<string>,
  ): Promise<void> {
    for (;;) {
      const session = await this.link.session(deadlineMs);
      try {
        const queue = await target(session);
        await withTimeout(sendConfirmed(session.publisher, queue, content, props), deadlineMs - Date.now(), 'RabbitMQ did not confirm the publish');
        return;
      } catch (err) {
        if (Date.now() >= deadlineMs) throw err;
        this.settings.logger.warn({ err, jobId: job.id }, 'publish failed, trying again');
        await sleep(REPUBLISH_PAUSE_MS);
      }
    }
  }

  private async targetQueue(session: Session, delayMs: number): Promise<string> {
    if (delayMs <= 0) return this.settings.names.jobs;
    const bucketMs = delayBucketMs(delayMs);
    const name = this.settings.names.delay(bucketMs);
    const declaredAtMs = session.delayDeclaredAtMs.get(bucketMs);
    if (declaredAtMs === undefined || Date.now() - declaredAtMs > DELAY_REDECLARE_MS) {
      await session.publisher.assertQueue(name, {
        durable: true,
        arguments: {
          'x-message-ttl': bucketMs,
          'x-expires': bucketMs + DELAY_QUEUE_IDLE_MS,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': this.settings.names.jobs,
        },
      });
      session.delayDeclaredAtMs.set(bucketMs, Date.now());
      this.delayQueuesMade.add(name);
    }
    return name;
  }

  private async withTempChannel<T>(session: Session, use: (channel: Channel) => Promise<T>): Promise<T> {
    // A short-lived channel, so that a channel error here (e.g. a deleted queue) does not break the publisher.
    const channel = await session.model.createChannel();
    channel.on('error', (err: unknown) => this.settings.logger.debug({ err }, 'temporary channel error'));
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }
}

function jobProperties(job: JobMessage): Options.Publish {
  return {
    persistent: true,
    messageId: job.id,
    contentType: 'application/json',
    type: job.name,
    timestamp: Math.floor(job.firstPublishedAt / 1000),
  };
}

function sendConfirmed(channel: ConfirmChannel, queue: string, content: Buffer, props: Options.Publish): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.sendToQueue(queue, content, props, (err: unknown) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}

function readDeadLetter(message: GetMessage): DeadLetter {
  const text = message.content.toString('utf8');
  const job = parseJob(text) ?? {
    id: String(message.properties.messageId ?? ''),
    name: String(message.properties.type ?? ''),
    payload: text,
    attempt: 0,
    firstPublishedAt: 0,
  };
  return { job, reason: deadReason(message.properties.headers) };
}

function deadReason(headers: Record<string, unknown> | undefined): string {
  const ours = headers?.[DEAD_REASON_HEADER];
  if (typeof ours === 'string') return ours;
  // Dead-lettered by the broker: the most recent x-death entry comes first.
  const deaths = headers?.['x-death'];
  const reason = Array.isArray(deaths) ? (deaths[0] as { reason?: unknown } | undefined)?.reason : undefined;
  if (reason === 'delivery_limit') return DELIVERY_LIMIT_REASON;
  if (reason === 'rejected') return 'rejected: not a valid job message';
  return typeof reason === 'string' ? reason : 'unknown';
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(queueUnavailableError(`${message} within ${timeoutMs} ms.`)), Math.max(0, timeoutMs));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
