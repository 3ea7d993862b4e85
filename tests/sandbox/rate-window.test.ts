/** The sliding-window log and peak tracker, on a fake clock (no waiting). */
import test from 'ava';
import { SlidingWindowLimiter, WindowPeakTracker } from '../../sandbox/rate-window.ts';

const limit = { capacity: 3, windowMs: 1_000 };

test('accepts capacity requests per window and reports what is left', (t) => {
  const limiter = new SlidingWindowLimiter();
  t.like(limiter.take('k', limit, 0), { allowed: true, remaining: 2, resetMs: 1_000, retryAfterMs: 0 });
  t.like(limiter.take('k', limit, 100), { allowed: true, remaining: 1, resetMs: 900 });
  t.like(limiter.take('k', limit, 200), { allowed: true, remaining: 0, resetMs: 800 });
  t.like(limiter.take('k', limit, 300), { allowed: false, remaining: 0, retryAfterMs: 700, inWindow: 3 });
});

test('a slot frees exactly windowMs after the request that took it', (t) => {
  const limiter = new SlidingWindowLimiter();
  for (const at of [0, 100, 200]) limiter.take('k', limit, at);
  t.false(limiter.take('k', limit, 999).allowed);
  t.true(limiter.take('k', limit, 1_000).allowed, 'the request at 0 left the window (t-1000, t]');
  t.false(limiter.take('k', limit, 1_050).allowed);
  t.true(limiter.take('k', limit, 1_100).allowed);
});

test('is strict over any interval, not per fixed bucket', (t) => {
  const limiter = new SlidingWindowLimiter();
  // Three at the end of one "second" and three at the start of the next would pass a fixed-bucket counter.
  for (const at of [900, 950, 990]) t.true(limiter.take('k', limit, at).allowed);
  for (const at of [1_000, 1_010, 1_020]) t.false(limiter.take('k', limit, at).allowed);
});

test('rejected requests take no slot', (t) => {
  const limiter = new SlidingWindowLimiter();
  for (const at of [0, 1, 2]) limiter.take('k', limit, at);
  for (let at = 3; at < 1_000; at += 10) limiter.take('k', limit, at);
  t.true(limiter.take('k', limit, 1_000).allowed);
});

test('keys are independent, and peek takes nothing', (t) => {
  const limiter = new SlidingWindowLimiter();
  for (const at of [0, 1, 2]) limiter.take('a', limit, at);
  t.true(limiter.take('b', limit, 3).allowed);
  t.like(limiter.peek('c', limit, 3), { allowed: true, remaining: 3, resetMs: 0 });
  t.like(limiter.peek('c', limit, 3), { remaining: 3 });
});

test('a capacity lowered at run time waits for enough old requests to leave', (t) => {
  const limiter = new SlidingWindowLimiter();
  for (const at of [0, 100, 200]) limiter.take('k', limit, at);
  t.like(limiter.take('k', { capacity: 1, windowMs: 1_000 }, 300), { allowed: false, retryAfterMs: 900 });
});

test('the peak tracker finds the busiest window', (t) => {
  const peaks = new WindowPeakTracker();
  for (const at of [0, 100, 200, 1_150, 1_200, 1_250, 1_300]) peaks.record('k', 1_000, at);
  t.is(peaks.peak('k'), 4, '1150..1300 is 4; 200..1150 holds only 2');
  t.is(peaks.peak('other'), 0);
  peaks.clear();
  t.is(peaks.peak('k'), 0);
});
