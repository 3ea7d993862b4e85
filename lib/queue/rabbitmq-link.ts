import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type pino from 'pino';
import { queueClosedError, queueUnavailableError, sleep, WakeSignal } from './job.ts';

/**
 * The RabbitMQ adapter's connection and topology (rabbitmq.ts tells the whole design): one
 * connection with a confirm channel for publishing, rebuilt with backoff whenever it or any of
 * its channels drops.
 */

export const CONNECT_TIMEOUT_MS = 5_000;
const HEARTBEAT_S = 10;
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;

export interface TopologyNames {
  jobs: string;
  dead: string;
  delay(bucketMs: number): string;
}

export function topologyNames(prefix: string): TopologyNames {
  return {
    jobs: `${prefix}.jobs`,
    dead: `${prefix}.dead`,
    delay: (bucketMs) => `${prefix}.delay.${bucketMs}ms`,
  };
}

export interface Settings {
  url: string;
  prefix: string;
  names: TopologyNames;
  deliveryLimit: number;
  logger: pino.Logger;
  publishTimeoutMs: number;
}

/** One connection and what was set up on it; once broken it is never used again. */
export interface Session {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
  /** Delay bucket -> when its queue was last declared on this connection. */
  readonly delayDeclaredAtMs: Map<number, number>;
  broken: boolean;
}

export /** Owns the connection: opens it, notices when it breaks, rebuilds it and hands it out. */
class Link {
  private current: Session | undefined;
  /** Woken whenever the connection changes: up, down, or closed. */
  private readonly changed = new WakeSignal();
  private reconnecting = false;
  private closed = false;

  constructor(
    private readonly settings: Settings,
    private readonly onReconnect: (session: Session) => Promise<void>,
  ) {}

  /** First connection: fails loudly, so a wrong URL shows at startup rather than as endless retries. */
  async connect(): Promise<void> {
    this.current = await this.open();
  }

  /** The live session, waiting for a reconnection until `deadlineMs` (epoch ms). */
  async session(deadlineMs: number): Promise<Session> {
    for (;;) {
      if (this.closed) throw queueClosedError();
      const session = this.current;
      if (session && !session.broken) return session;
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0) throw queueUnavailableError('RabbitMQ is unreachable; reconnecting.');
      await this.changed.wait(leftMs);
    }
  }

  /** Drops the connection of a session that can no longer be trusted; it will be rebuilt. */
  drop(session: Session, why: string): void {
    if (session.broken) return;
    session.broken = true;
    void session.model.close().catch(() => {});
    if (this.current !== session) return;
    this.current = undefined;
    this.settings.logger.warn({ why }, 'RabbitMQ connection lost, reconnecting');
    if (!this.closed) void this.reconnect();
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.current;
    this.current = undefined;
    this.changed.wake();
    if (session) {
      session.broken = true;
      await session.model.close().catch(() => {});
    }
  }

  private async open(): Promise<Session> {
    const model = await amqp.connect(withHeartbeat(this.settings.url), {
      timeout: CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: `shipsync ${this.settings.prefix}` },
    });
    model.on('error', (err: unknown) => this.settings.logger.warn({ err }, 'RabbitMQ connection error'));
    model.on('blocked', (reason: unknown) => this.settings.logger.warn({ reason }, 'RabbitMQ blocks publishers'));
    try {
      const publisher = await model.createConfirmChannel();
      const session: Session = { model, publisher, delayDeclaredAtMs: new Map(), broken: false };
      model.on('close', () => this.drop(session, 'connection closed'));
      publisher.on('error', (err: unknown) => this.settings.logger.warn({ err }, 'RabbitMQ publisher channel error'));
      publisher.on('close', () => this.drop(session, 'publisher channel closed'));
      await declareTopology(publisher, this.settings);
      if (session.broken) throw new Error('connection closed while declaring the topology');
      return session;
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      let backoffMs = FIRST_BACKOFF_MS;
      while (!this.closed) {
        await sleep(backoffMs / 2 + Math.random() * (backoffMs / 2));
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        if (this.closed) return;
        if (await this.tryReconnect()) return;
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private async tryReconnect(): Promise<boolean> {
    let session: Session | undefined;
    try {
      session = await this.open();
      if (this.closed) {
        await session.model.close().catch(() => {});
        return true;
      }
      this.current = session;
      await this.onReconnect(session);
      // Checked here because a drop during onReconnect found `reconnecting` set and left it to this loop.
      if (session.broken) return false;
      this.settings.logger.info('RabbitMQ connection restored');
      this.changed.wake();
      return true;
    } catch (err) {
      this.settings.logger.warn({ err }, 'RabbitMQ reconnection failed');
      if (session) this.drop(session, 'reconnection failed');
      return false;
    }
  }
}

function withHeartbeat(url: string): string {
  // amqplib's default heartbeat is the server's 60 s: too slow to notice a half-open connection.
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(HEARTBEAT_S));
  return parsed.toString();
}

async function declareTopology(channel: Channel, settings: Settings): Promise<void> {
  const { names, deliveryLimit } = settings;
  await channel.assertQueue(names.dead, { durable: true });
  await channel.assertQueue(names.jobs, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': names.dead,
    },
  });
}
