/**
 * The queue port. Terminology:
 * - job: one message on the queue, `{ name, payload }`, e.g. one page of a sync run to fetch.
 * - delivery: one handing of a job to a consumer; a job may be delivered more than once
 *   (at-least-once), so handlers must be idempotent.
 * - attempt: how many times a handler has *failed* the job with a retryable error; rate-limit
 *   waits and shutdown requeues do not count.
 * - delivery limit: how many times a job may be handed out without an outcome (its consumer
 *   died or threw) before it is a poison job and goes to the dead-letter queue.
 *
 * Two adapters implement it with the same behaviour and one shared test suite:
 * `rabbitmq.ts` (production) and `in-process.ts` (embedded mode, tests).
 */

export interface JobMessage {
  /** Unique per publish; kept across retries of the same job so logs can follow it. */
  id: string;
  name: string;
  payload: unknown;
  /** Failed attempts so far (0 on first publish). */
  attempt: number;
  /** Epoch ms of the first publish of this job. */
  firstPublishedAt: number;
}

export interface Delivery {
  readonly job: JobMessage;
  /** True when an earlier delivery of this same message ended without an outcome (consumer died). */
  readonly redelivered: boolean;
}

/** What a handler decided about a delivery; the adapter carries it out. */
export type Outcome =
  | { kind: 'ack' }
  /**
   * Publish the job again after `delayMs` (never earlier) and ack this delivery. `payload`, when
   * given, replaces the job's payload (a handler that saved progress says where to resume).
   */
  | { kind: 'retry'; delayMs: number; countAttempt: boolean; payload?: unknown }
  /** Move the job to the dead-letter queue with a reason and ack this delivery. */
  | { kind: 'dead'; reason: string };

export type Handler = (delivery: Delivery) => Promise<Outcome>;

export interface PublishOptions {
  /** Deliver no earlier than this many ms from now. */
  delayMs?: number;
  /** Carried-over attempt count (retries); default 0. */
  attempt?: number;
  /** Carried-over job id (retries); default a new id. */
  id?: string;
  firstPublishedAt?: number;
}

export interface ConsumeOptions {
  /** Deliveries in hand at once for this consumer. */
  prefetch: number;
}

export interface Consumer {
  /**
   * Stop taking new deliveries, wait for the ones in hand to reach an outcome (at most
   * `graceMs`), then return. Deliveries still in hand after that are returned to the queue
   * unacknowledged (they come back with `redelivered: true`).
   */
  stop(graceMs?: number): Promise<void>;
}

export interface QueueDepth {
  ready: number;
  /**
   * Jobs published with a delay that is not over. RabbitMQ: the messages of the delay queues this
   * instance has published to (another process's buckets are counted by that process).
   */
  delayed: number;
  dead: number;
}

export interface DeadLetter {
  job: JobMessage;
  reason: string;
}

export interface Queue {
  /** Resolves once the broker has confirmed the job is stored. */
  publish(name: string, payload: unknown, opts?: PublishOptions): Promise<void>;
  consume(handler: Handler, opts: ConsumeOptions): Promise<Consumer>;
  /** Throws when the broker does not answer; used by `/health`. */
  ping(): Promise<void>;
  /** Jobs waiting (ready, not delayed, not dead). */
  countReady(): Promise<number>;
  /** What the queue holds, for metrics: ready, delayed (not yet due) and dead-lettered jobs. */
  depth(): Promise<QueueDepth>;
  /** Reads (without removing) up to `max` dead-lettered jobs. */
  peekDeadLetters(max?: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}
