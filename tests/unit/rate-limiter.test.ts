import test from 'ava';
import { RateLimiter, leastTimeMs, spacingMs } from '../../lib/rate-limiter.ts';

test('spacing is the window divided by the capacity, plus the margin share and the jitter allowance', (t) => {
  t.is(spacingMs({ capacity: 50, windowMs: 60_000 }, { ratio: 0, jitterMs: 0 }), 1200);
  t.is(spacingMs({ capacity: 50, windowMs: 60_000 }, { ratio: 0.05, jitterMs: 0 }), 1260);
  t.is(spacingMs({ capacity: 10, windowMs: 1_000 }, { ratio: 0.03, jitterMs: 50 }), 108);
  t.is(leastTimeMs(2000, { capacity: 50, windowMs: 1000 }), 40_000);
});

test('no window of the limit ever holds more than its capacity, also across a hand-over', async (t) => {
  const rule = { capacity: 10, windowMs: 400 };
  const starts: number[] = [];
  const first = new RateLimiter({ a: rule }, { margin: { ratio: 0.05, jitterMs: 0 } });
  await Promise.all(Array.from({ length: 15 }, () => first.schedule('a', async () => void starts.push(Date.now()))));
  // A second job (another worker) continues from the first one's carried position.
  const second = new RateLimiter({ a: rule }, { margin: { ratio: 0.05, jitterMs: 0 }, carried: first.snapshot() });
  await Promise.all(Array.from({ length: 15 }, () => second.schedule('a', async () => void starts.push(Date.now()))));
  for (let i = 0; i + rule.capacity < starts.length; i++) {
    t.true(starts[i + rule.capacity]! - starts[i]! >= rule.windowMs, `requests ${i}..${i + rule.capacity} within one window`);
  }
});

test('remaining = 0 blocks the lane until the reset; a new capacity changes the pace', async (t) => {
  const limiter = new RateLimiter({ a: { capacity: 100, windowMs: 1000 } }, { margin: { ratio: 0, jitterMs: 0 } });
  limiter.observe('a', { remaining: 0, resetMs: 300 });
  t.true(limiter.waitMs('a') > 250);
  const before = Date.now();
  await limiter.schedule('a', async () => undefined);
  t.true(Date.now() - before >= 290);
  limiter.observe('a', { limit: 10 });
  t.is(limiter.snapshot().a!.rule.capacity, 10);
  await limiter.stop();
});

test('remaining = 0 that our own full window explains does not stall the pace', async (t) => {
  const rule = { capacity: 5, windowMs: 250 };
  const limiter = new RateLimiter({ a: rule }, { margin: { ratio: 0, jitterMs: 0 } });
  for (let i = 0; i < 5; i++) await limiter.schedule('a', async () => undefined);
  limiter.observe('a', { remaining: 0, resetMs: 1000 });
  t.true(limiter.waitMs('a') <= 50, 'the next request waits one spacing, not the rounded-up reset');
  await limiter.stop();
});

test('a busy event loop makes the lane catch up on its timeline, and still no window holds more than its capacity', async (t) => {
  const rule = { capacity: 8, windowMs: 400 };
  const limiter = new RateLimiter({ a: rule }, { margin: { ratio: 0, jitterMs: 0 } });
  // Every 70 ms the loop is blocked for 60 ms, so timers fire late and slots bunch up behind them.
  const busy = setInterval(() => {
    const until = Date.now() + 60;
    while (Date.now() < until);
  }, 70);
  const starts: number[] = [];
  await Promise.all(Array.from({ length: 30 }, () => limiter.schedule('a', async () => void starts.push(Date.now()))));
  clearInterval(busy);
  starts.sort((x, y) => x - y);
  for (let i = 0; i + rule.capacity < starts.length; i++) {
    t.true(starts[i + rule.capacity]! - starts[i]! >= rule.windowMs, `requests ${i}..${i + rule.capacity} within one window`);
  }
  await limiter.stop();
});

test('a call already waiting for its slot also waits out a block the provider sets meanwhile', async (t) => {
  const limiter = new RateLimiter({ a: { capacity: 10, windowMs: 1000 } }, { margin: { ratio: 0, jitterMs: 0 } });
  const starts: number[] = [];
  const calls = Array.from({ length: 3 }, () => limiter.schedule('a', async () => void starts.push(Date.now())));
  // The first call goes at once; the others sleep until their slots (100 and 200 ms on) when a 429 blocks the lane for 400 ms.
  await new Promise((r) => setTimeout(r, 20));
  const blockedUntil = Date.now() + 400;
  limiter.blockUntil('a', blockedUntil);
  await Promise.all(calls);
  t.is(starts.length, 3);
  t.true(starts[1]! >= blockedUntil && starts[2]! >= blockedUntil, 'no call left before the block ended');
  await limiter.stop();
});

test('stop drops every call not yet sent, also those waiting for one of the lane\'s places', async (t) => {
  const limiter = new RateLimiter({ a: { capacity: 1, windowMs: 60_000 } }, { margin: { ratio: 0, jitterMs: 0 }, maxConcurrent: 2 });
  let sent = 0;
  const calls = Array.from({ length: 5 }, () => limiter.schedule('a', async () => void sent++));
  await new Promise((r) => setTimeout(r, 20));
  await limiter.stop();
  const outcomes = await Promise.allSettled(calls);
  t.is(sent, 1, 'only the first call had its slot');
  t.is(outcomes.filter((o) => o.status === 'rejected' && (o.reason as Error).name === 'LimiterStoppedError').length, 4);
});

test('a call the provider counts late does not put more than the capacity in one of its windows', async (t) => {
  const rule = { capacity: 5, windowMs: 500 };
  const limiter = new RateLimiter({ a: rule }, { margin: { ratio: 0, jitterMs: 0 } });
  // The first call takes 400 ms to reach the provider (queued behind a busy event loop, a slow
  // network); the others arrive at once. The provider counts each call when it arrives.
  const counted: number[] = [];
  const call = (transitMs: number) => limiter.schedule('a', async () => {
    await new Promise((r) => setTimeout(r, transitMs));
    counted.push(Date.now());
  });
  await Promise.all(Array.from({ length: 12 }, (_, i) => call(i === 0 ? 400 : 0)));
  counted.sort((x, y) => x - y);
  for (let i = 0; i + rule.capacity < counted.length; i++) {
    t.true(counted[i + rule.capacity]! - counted[i]! >= rule.windowMs, `calls ${i}..${i + rule.capacity} counted within one window`);
  }
  await limiter.stop();
});

test('with a whole window of calls in flight, the next call waits for their answers, then a window from them', async (t) => {
  // A capacity below the lane's places: the window's two calls take 400 ms to reach the provider,
  // so both are still on their way when the third is due; the calls after them arrive at once.
  const rule = { capacity: 2, windowMs: 300 };
  const limiter = new RateLimiter({ a: rule }, { margin: { ratio: 0, jitterMs: 0 } });
  const counted: number[] = [];
  await Promise.all(Array.from({ length: 5 }, (_, i) => limiter.schedule('a', async () => {
    await new Promise((r) => setTimeout(r, i < 2 ? 400 : 0));
    counted.push(Date.now());
  })));
  counted.sort((x, y) => x - y);
  t.is(counted.length, 5);
  for (let i = 0; i + rule.capacity < counted.length; i++) {
    t.true(counted[i + rule.capacity]! - counted[i]! >= rule.windowMs, `calls ${i}..${i + rule.capacity} counted within one window`);
  }
  await limiter.stop();
});
