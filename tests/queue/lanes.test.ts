import test from 'ava';
import { createInProcessQueue } from '../../lib/queue/in-process.ts';
import { createLanedQueue } from '../../lib/queue/lanes.ts';
import type { Delivery, Outcome } from '../../lib/queue/port.ts';

function lanedPair() {
  const lanes = { paced: createInProcessQueue(), working: createInProcessQueue() };
  return { lanes, queue: createLanedQueue(lanes, (name) => name === 'sync.page') };
}

test('a laned queue publishes each job on its lane and reports both', async (t) => {
  const { lanes, queue } = lanedPair();
  t.teardown(() => queue.close());
  await queue.publish('sync.page', { sync_run_id: 1, step: 0 });
  await queue.publish('sync.page', { sync_run_id: 2, step: 0 }, { delayMs: 60_000 });
  await queue.publish('weather.fetch', { location_id: 1 });
  t.is(await lanes.paced.countReady(), 1);
  t.is(await lanes.working.countReady(), 1);
  t.is(await queue.countReady(), 2);
  t.deepEqual(await queue.depth(), { ready: 2, delayed: 1, dead: 0 });
  await queue.ping();
});

test("a laned queue's consumer takes both lanes; dead letters of both are read", async (t) => {
  const { queue } = lanedPair();
  t.teardown(() => queue.close());
  const seen: string[] = [];
  const consumer = await queue.consume(async (d: Delivery): Promise<Outcome> => {
    seen.push(d.job.name);
    return { kind: 'dead', reason: `no ${d.job.name}` };
  }, { prefetch: 1 });
  await queue.publish('sync.page', { sync_run_id: 1, step: 0 });
  await queue.publish('weather.fetch', { location_id: 1 });
  for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  await consumer.stop();
  t.deepEqual(seen.sort(), ['sync.page', 'weather.fetch']);
  t.deepEqual((await queue.peekDeadLetters()).map((d) => d.reason).sort(), ['no sync.page', 'no weather.fetch']);
  t.deepEqual((await queue.peekDeadLetters(1)).length, 1, 'at most as many as asked for');
});
