/** Date formatting (CET/CEST) and the seeded PRNG the generated data rests on. */
import test from 'ava';
import { SeededRandom, mulberry32 } from '../../sandbox/prng.ts';
import { formatAmsterdamDate, formatAmsterdamDateTime, formatUtcSeconds } from '../../sandbox/time.ts';

test('Amsterdam date-times carry +01:00 in winter and +02:00 in summer, switching at 01:00 UTC', (t) => {
  t.is(formatAmsterdamDateTime(Date.UTC(2024, 0, 15, 9, 30, 5)), '2024-01-15T10:30:05+01:00');
  t.is(formatAmsterdamDateTime(Date.UTC(2024, 6, 1, 22, 0, 0)), '2024-07-02T00:00:00+02:00');
  // 2024: summer time from Sunday 31 March 01:00 UTC to Sunday 27 October 01:00 UTC.
  t.is(formatAmsterdamDateTime(Date.UTC(2024, 2, 31, 0, 59, 59)), '2024-03-31T01:59:59+01:00');
  t.is(formatAmsterdamDateTime(Date.UTC(2024, 2, 31, 1, 0, 0)), '2024-03-31T03:00:00+02:00');
  t.is(formatAmsterdamDateTime(Date.UTC(2024, 9, 27, 0, 59, 59)), '2024-10-27T02:59:59+02:00');
  t.is(formatAmsterdamDateTime(Date.UTC(2024, 9, 27, 1, 0, 0)), '2024-10-27T02:00:00+01:00');
  t.is(Date.parse(formatAmsterdamDateTime(Date.UTC(2024, 4, 5, 6, 7, 8))), Date.UTC(2024, 4, 5, 6, 7, 8));
  t.is(formatAmsterdamDate(Date.UTC(2024, 11, 31, 23, 30)), '2025-01-01');
});

test('formatUtcSeconds drops milliseconds like bol\'s JWT messages', (t) => {
  t.is(formatUtcSeconds(Date.UTC(2023, 2, 16, 12, 53, 3, 999)), '2023-03-16T12:53:03Z');
});

test('the PRNG repeats per seed and stays in range', (t) => {
  const a = mulberry32(7);
  const b = mulberry32(7);
  const first = Array.from({ length: 5 }, () => a());
  t.deepEqual(first, Array.from({ length: 5 }, () => b()));
  t.notDeepEqual(first, Array.from({ length: 5 }, mulberry32(8)));
  const rng = new SeededRandom(1);
  for (let i = 0; i < 1_000; i++) {
    const n = rng.int(3, 5);
    t.true(n >= 3 && n <= 5 && Number.isInteger(n));
  }
  t.regex(new SeededRandom(2).uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
