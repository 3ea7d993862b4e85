import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import pino from 'pino';
import { createInProcessQueue } from '../../lib/queue/in-process.ts';
import { DELIVERY_LIMIT_REASON } from '../../lib/queue/job.ts';
import type { Consumer, Delivery, Handler, JobMessage, Outcome, Queue } from '../../lib/queue/port.ts';
import { createRabbitQueue } from '../../lib/queue/rabbitmq.ts';
import type { RabbitQueueOptions } from '../../lib/queue/rabbitmq.ts';

/**
 * One suite for both adapters: every behaviour test is registered once per adapter, so the
 * in-process queue used in embedded mode cannot drift from RabbitMQ.
 */

const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const TEST_TIMEOUT_MS = 10_000;

interface QueueOptions {
  deliveryLimit?: number;
}

interface Adapter {
  name: string;
  make(t: ExecutionContext, opts?: QueueOptions): Promise<Queue>;
}

async function makeRabbit(t: ExecutionContext, opts: Partial<RabbitQueueOptions> = {}): Promise<Queue> {
  const queue = await createRabbitQueue({ url: AMQP_URL, prefix: `test.${randomUUID()}`, ...opts });
  t.teardown(async () => {
    await queue.close();
    await queue.deleteTopology();
  });
  return queue;
}

const adapters: Adapter[] = [
  { name: 'rabbitmq', make: makeRabbit },
  {
    name: 'in-process',
    async make(t, opts = {}) {
      const queue = createInProcessQueue(opts);
      t.teardown(() => queue.close());
      return queue;
    },
  },
];

const ack: Outcome = { kind: 'ack' };

interface Received {
  delivery: Delivery;
  atMs: number;
}

/** Records every delivery a consumer gets, so tests can wait for and inspect them. */
class Inbox {
  readonly received: Received[] = [];
  private readonly waiters = new Set<() => void>();

  record(delivery: Delivery): void {
    this.received.push({ delivery, atMs: Date.now() });
    for (const wake of [...this.waiters]) wake();
  }

  jobs(): JobMessage[] {
    return this.received.map((r) => r.delivery.job);
  }

  async waitFor(count: number, timeoutMs = 5_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) throw new Error(`expected ${count} deliveries within ${timeoutMs} ms, got ${this.received.length}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, leftMs);
        this.waiters.add(wake);
      });
    }
    return this.received;
  }
}

async function consumeInto(queue: Queue, prefetch: number, decide: (delivery: Delivery, inbox: Inbox) => Promise<Outcome> | Outcome): Promise<{ inbox: Inbox; consumer: Consumer }> {
  const inbox = new Inbox();
  const handler: Handler = async (delivery) => {
    inbox.record(delivery);
    return decide(delivery, inbox);
  };
  const consumer = await queue.consume(handler, { prefetch });
  return { inbox, consumer };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

for (const adapter of adapters) {
  const title = (what: string): string => `${adapter.name}: ${what}`;

  test(title('a published job reaches a consumer with its payload and fields intact'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const payload = { sync_run_id: 7, step: 0, nested: { list: [1, 'two', null, { deep: true }] }, text: 'Zürich ✓' };
    const before = Date.now();
    await queue.publish('sync.page', payload);
    await queue.publish('sync.page', { step: 3 }, { id: 'carried-id', attempt: 2, firstPublishedAt: 1_700_000_000_000 });
    const after = Date.now();
    const { inbox } = await consumeInto(queue, 1, () => ack);

    const [first, second] = await inbox.waitFor(2);
    t.is(first!.delivery.job.name, 'sync.page');
    t.deepEqual(first!.delivery.job.payload, payload);
    t.is(first!.delivery.job.attempt, 0);
    t.regex(first!.delivery.job.id, /^[0-9a-f-]{36}$/);
    t.true(first!.delivery.job.firstPublishedAt >= before && first!.delivery.job.firstPublishedAt <= after);
    t.false(first!.delivery.redelivered);
    t.deepEqual(second!.delivery.job, { id: 'carried-id', name: 'sync.page', payload: { step: 3 }, attempt: 2, firstPublishedAt: 1_700_000_000_000 });
  });

  test(title('prefetch caps how many jobs a consumer has in hand at once'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    for (let i = 0; i < 6; i += 1) await queue.publish('work', { i });
    let inFlight = 0;
    let maxInFlight = 0;
    const { inbox } = await consumeInto(queue, 2, async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(150);
      inFlight -= 1;
      return ack;
    });

    await inbox.waitFor(6);
    t.is(maxInFlight, 2);
    t.deepEqual(inbox.jobs().map((job) => (job.payload as { i: number }).i), [0, 1, 2, 3, 4, 5]);
  });

  test(title('several consumers share the queue and each job goes to one of them'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const slowAck = async (): Promise<Outcome> => {
      await sleep(100);
      return ack;
    };
    const a = await consumeInto(queue, 1, slowAck);
    const b = await consumeInto(queue, 1, slowAck);
    for (let i = 0; i < 6; i += 1) await queue.publish('work', { i });

    await eventually(async () => a.inbox.received.length + b.inbox.received.length, (n) => n >= 6);
    await sleep(200);
    t.true(a.inbox.received.length >= 1);
    t.true(b.inbox.received.length >= 1);
    const ids = [...a.inbox.jobs(), ...b.inbox.jobs()].map((job) => job.id);
    t.is(ids.length, 6);
    t.is(new Set(ids).size, 6);
  });

  test(title('a retry comes back after its delay, never earlier, with one more attempt'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const delayMs = 700;
    let decidedAtMs = 0;
    const { inbox } = await consumeInto(queue, 1, (delivery) => {
      if (delivery.job.attempt > 0) return ack;
      decidedAtMs = Date.now();
      return { kind: 'retry', delayMs, countAttempt: true };
    });
    await queue.publish('flaky', { n: 1 });

    const [first, second] = await inbox.waitFor(2);
    const waitedMs = second!.atMs - decidedAtMs;
    t.true(waitedMs >= delayMs, `retried after ${waitedMs} ms`);
    t.true(waitedMs <= delayMs * 1.25 + 500, `retried ${waitedMs - delayMs} ms late`);
    t.is(second!.delivery.job.attempt, 1);
    t.is(second!.delivery.job.id, first!.delivery.job.id);
    t.is(second!.delivery.job.firstPublishedAt, first!.delivery.job.firstPublishedAt);
    t.deepEqual(second!.delivery.job.payload, { n: 1 });
    t.false(second!.delivery.redelivered);
  });

  test(title('a rate-limit retry (countAttempt false) keeps the attempt count'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const { inbox } = await consumeInto(queue, 1, (_delivery, box) => {
      if (box.received.length === 1) return { kind: 'retry', delayMs: 0, countAttempt: true };
      if (box.received.length === 2) return { kind: 'retry', delayMs: 200, countAttempt: false };
      return ack;
    });
    await queue.publish('limited', {}, { attempt: 2 });

    await inbox.waitFor(3);
    t.deepEqual(inbox.jobs().map((job) => job.attempt), [2, 3, 3]);
    await sleep(300);
    t.is(inbox.received.length, 3);
  });

  test(title('a retry that carries a payload resumes with it; one without keeps the original'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const { inbox } = await consumeInto(queue, 1, (_delivery, box) => {
      if (box.received.length === 1) return { kind: 'retry', delayMs: 0, countAttempt: false, payload: { step: 2 } };
      if (box.received.length === 2) return { kind: 'retry', delayMs: 0, countAttempt: true };
      return ack;
    });
    await queue.publish('resumable', { step: 1 });

    await inbox.waitFor(3);
    t.deepEqual(inbox.jobs().map((job) => job.payload), [{ step: 1 }, { step: 2 }, { step: 2 }]);
    t.is(new Set(inbox.jobs().map((job) => job.id)).size, 1, 'the same job throughout');
  });

  test(title('a job published with delayMs is held back while later jobs go through'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const delayMs = 800;
    const publishedAtMs = Date.now();
    await queue.publish('later', {}, { delayMs });
    await queue.publish('now', {});
    const { inbox } = await consumeInto(queue, 1, () => ack);

    const [first, second] = await inbox.waitFor(2);
    t.is(first!.delivery.job.name, 'now');
    t.true(first!.atMs - publishedAtMs < delayMs);
    t.is(second!.delivery.job.name, 'later');
    t.true(second!.atMs - publishedAtMs >= delayMs, `delivered after ${second!.atMs - publishedAtMs} ms`);
  });

  test(title('a job waiting out its retry delay does not keep the consumer busy'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const { inbox } = await consumeInto(queue, 1, (delivery) => {
      if (delivery.job.name === 'slow' && delivery.job.attempt === 0) return { kind: 'retry', delayMs: 1500, countAttempt: true };
      return ack;
    });
    await queue.publish('slow', {});
    await inbox.waitFor(1);
    await queue.publish('a', {});
    await queue.publish('b', {});

    await inbox.waitFor(4);
    t.deepEqual(
      inbox.jobs().map((job) => `${job.name}#${job.attempt}`),
      ['slow#0', 'a#0', 'b#0', 'slow#1'],
    );
  });

  test(title('countReady counts waiting jobs but not delayed ones'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    t.is(await queue.countReady(), 0);
    await queue.publish('a', {});
    await queue.publish('b', {});
    await queue.publish('later', {}, { delayMs: 5_000 });

    t.is(await eventually(() => queue.countReady(), (n) => n === 2), 2);
  });

  test(title('depth counts ready, delayed and dead-lettered jobs'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    t.deepEqual(await queue.depth(), { ready: 0, delayed: 0, dead: 0 });
    await queue.publish('a', {});
    await queue.publish('later', {}, { delayMs: 60_000 });
    await queue.publish('later', {}, { delayMs: 60_000 });
    t.deepEqual(await eventually(() => queue.depth(), (d) => d.ready === 1 && d.delayed === 2), { ready: 1, delayed: 2, dead: 0 });
    const { inbox } = await consumeInto(queue, 1, () => ({ kind: 'dead', reason: 'poison' }));
    await inbox.waitFor(1);
    t.deepEqual(await eventually(() => queue.depth(), (d) => d.dead === 1 && d.ready === 0), { ready: 0, delayed: 2, dead: 1 });
  });

  test(title("a 'dead' outcome puts the job in the dead letters with its reason, peeking removes nothing"), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const { inbox } = await consumeInto(queue, 1, (delivery) => ({ kind: 'dead', reason: `carrier said 404 for ${String((delivery.job.payload as { n: number }).n)}` }));
    for (let n = 1; n <= 3; n += 1) await queue.publish('track', { n });
    await inbox.waitFor(3);

    const letters = await eventually(() => queue.peekDeadLetters(), (found) => found.length === 3);
    t.deepEqual(
      letters.map((letter) => [letter.job.name, letter.job.payload, letter.reason]),
      [1, 2, 3].map((n) => ['track', { n }, `carrier said 404 for ${n}`]),
    );
    t.deepEqual(letters.map((letter) => letter.job.id), inbox.jobs().map((job) => job.id));
    t.is((await queue.peekDeadLetters(2)).length, 2);
    t.deepEqual(await queue.peekDeadLetters(), letters);
    t.is(await queue.countReady(), 0);
    await sleep(200);
    t.is(inbox.received.length, 3);
  });

  test(title('a job whose handler keeps throwing is dead-lettered once the delivery limit is exceeded'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const deliveryLimit = 2;
    const queue = await adapter.make(t, { deliveryLimit });
    const { inbox } = await consumeInto(queue, 1, () => {
      throw new Error('poison');
    });
    await queue.publish('poison', { bad: true });

    const letters = await eventually(() => queue.peekDeadLetters(), (found) => found.length === 1);
    t.is(letters.length, 1);
    t.is(letters[0]!.reason, DELIVERY_LIMIT_REASON);
    t.deepEqual(letters[0]!.job.payload, { bad: true });
    await sleep(200);
    // The limit counts returns, as RabbitMQ's x-delivery-limit does: the first delivery plus `deliveryLimit` more.
    t.is(inbox.received.length, deliveryLimit + 1);
    t.deepEqual(inbox.received.map((r) => r.delivery.redelivered), [false, true, true]);
    t.deepEqual(inbox.jobs().map((job) => job.attempt), [0, 0, 0]);
    t.is(await queue.countReady(), 0);
  });

  test(title('stop waits for the jobs in hand to finish within the grace period'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    let finished = false;
    const { inbox, consumer } = await consumeInto(queue, 1, async () => {
      await sleep(300);
      finished = true;
      return ack;
    });
    await queue.publish('work', {});
    await inbox.waitFor(1);

    await consumer.stop(3_000);
    t.true(finished);
    await queue.publish('after-stop', {});
    await sleep(300);
    t.is(inbox.received.length, 1);
    t.is(await eventually(() => queue.countReady(), (n) => n === 1), 1);
  });

  test(title('a job still in hand after the grace goes back to the queue and another consumer gets it'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    const release = deferred();
    t.teardown(release.resolve);
    const stuck = await consumeInto(queue, 1, async () => {
      await release.promise;
      // Too late: the job was given back, so this must neither ack it nor publish a copy.
      return { kind: 'retry', delayMs: 0, countAttempt: true };
    });
    await queue.publish('work', { n: 1 });
    const [held] = await stuck.inbox.waitFor(1);
    const other = await consumeInto(queue, 1, () => ack);

    const stopStartedMs = Date.now();
    await stuck.consumer.stop(200);
    // Timers may fire a millisecond early as Date.now() counts.
    t.true(Date.now() - stopStartedMs >= 199);
    const [taken] = await other.inbox.waitFor(1);
    t.is(taken!.delivery.job.id, held!.delivery.job.id);
    t.true(taken!.delivery.redelivered);
    t.is(taken!.delivery.job.attempt, 0);

    release.resolve();
    await sleep(300);
    t.is(other.inbox.received.length, 1);
    t.is(stuck.inbox.received.length, 1);
    t.is(await queue.countReady(), 0);
    t.deepEqual(await queue.peekDeadLetters(), []);
  });

  test(title('ping answers while open; a closed queue refuses to publish'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    await t.notThrowsAsync(queue.ping());
    await queue.close();
    await t.throwsAsync(queue.publish('late', {}), { message: /closed/ });
    await t.throwsAsync(queue.ping());
  });

  test(title('publish rejects a payload that cannot be delayed or serialized'), async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const queue = await adapter.make(t);
    await t.throwsAsync(queue.publish('bad', {}, { delayMs: -1 }), { instanceOf: RangeError });
    await t.throwsAsync(queue.publish('bad', { big: 1n }), { instanceOf: TypeError });
    t.is(await queue.countReady(), 0);
  });
}

const execFileAsync = promisify(execFile);

/** A pino logger whose messages the test can read, to check that a reconnection really happened. */
function recordingLogger(): { logger: pino.Logger; messages: string[] } {
  const messages: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => messages.push((JSON.parse(line) as { msg: string }).msg) });
  return { logger, messages };
}

/**
 * A TCP proxy in front of the broker that can cut every connection and refuse new ones: an outage
 * for this test only, without stopping the broker other tests use.
 */
class OutageProxy {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  private down = false;
  private readonly target = new URL(AMQP_URL);

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const url = new URL(AMQP_URL);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as net.AddressInfo).port);
    return url.toString();
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(this.target.port || 5672), this.target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
}

async function startProxy(t: ExecutionContext): Promise<{ proxy: OutageProxy; url: string }> {
  const proxy = new OutageProxy();
  const url = await proxy.start();
  // Registered before the queue's teardown, so it runs after it (ava runs teardowns last-in first-out).
  t.teardown(() => proxy.close());
  return { proxy, url };
}

/**
 * Has the broker close the connections of one queue prefix (named `shipsync <prefix>`), and only
 * those: closing every connection would also cut the test files running beside this one.
 */
async function closeConnectionsOf(prefix: string): Promise<number> {
  const { stdout } = await execFileAsync('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '--quiet', '--no-table-headers']);
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`"shipsync ${prefix}"`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of pids) await execFileAsync('rabbitmqctl', ['close_connection', pid, 'test']);
  return pids.length;
}

test('rabbitmq: after the broker closes its connections, consuming and publishing carry on', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const { logger, messages } = recordingLogger();
  const prefix = `test.${randomUUID()}`;
  const queue = await makeRabbit(t, { logger, prefix });
  const { inbox } = await consumeInto(queue, 1, () => ack);
  await queue.publish('before', {});
  await inbox.waitFor(1);

  t.true((await closeConnectionsOf(prefix)) > 0, 'the broker closed the queue\'s connection');
  await queue.publish('after', {});

  const received = await inbox.waitFor(2, 8_000);
  t.deepEqual(received.map((r) => r.delivery.job.name), ['before', 'after']);
  await t.notThrowsAsync(queue.ping());
  t.is(await queue.countReady(), 0);
  t.true(messages.includes('RabbitMQ connection restored'));
});

test('rabbitmq: during an outage ping fails at once and publish gives up after publishTimeoutMs', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const { proxy, url } = await startProxy(t);
  const publishTimeoutMs = 600;
  const queue = await makeRabbit(t, { url, publishTimeoutMs });
  // Runs before the queue's teardown, which needs the proxy up to delete the topology, even if an assertion failed.
  t.teardown(() => proxy.restore());
  await queue.publish('before', {});

  proxy.cut();
  await sleep(100);
  const pingStartedMs = Date.now();
  await t.throwsAsync(queue.ping());
  t.true(Date.now() - pingStartedMs < publishTimeoutMs);
  const publishStartedMs = Date.now();
  await t.throwsAsync(queue.publish('during', {}), { message: /not confirmed by RabbitMQ within 600 ms/ });
  const waitedMs = Date.now() - publishStartedMs;
  t.true(waitedMs >= publishTimeoutMs && waitedMs < publishTimeoutMs + 1_000, `gave up after ${waitedMs} ms`);
});

test('rabbitmq: a short outage is ridden out: publish waits, the job in hand comes back, its late ack is ignored', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const { proxy, url } = await startProxy(t);
  const { logger, messages } = recordingLogger();
  const queue = await makeRabbit(t, { url, logger });
  t.teardown(() => proxy.restore());
  const release = deferred();
  t.teardown(release.resolve);
  const { inbox } = await consumeInto(queue, 2, async (delivery) => {
    if (delivery.job.name === 'held' && !delivery.redelivered) await release.promise;
    return ack;
  });
  await queue.publish('held', {});
  await inbox.waitFor(1);

  proxy.cut();
  const during = queue.publish('during', {});
  await sleep(500);
  proxy.restore();
  await during;
  await inbox.waitFor(3);
  // Acks the first delivery on the channel that died with the old connection.
  release.resolve();
  await sleep(300);

  t.deepEqual(
    inbox.received.map((r) => `${r.delivery.job.name}${r.delivery.redelivered ? ' (redelivered)' : ''}`).sort(),
    ['during', 'held', 'held (redelivered)'],
  );
  t.is(await queue.countReady(), 0);
  t.deepEqual(await queue.peekDeadLetters(), []);
  t.true(messages.includes('RabbitMQ connection restored'));
});

test('rabbitmq: createRabbitQueue fails at once when the broker is unreachable', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  await t.throwsAsync(createRabbitQueue({ url: 'amqp://guest:guest@127.0.0.1:1', prefix: `test.${randomUUID()}` }));
});
