import test from 'ava';
import { parseLimit } from '../../bench/harness.ts';

test.serial('a benchmark limit reads capacity/windowMs from its variable, else the fallback', (t) => {
  delete process.env.BENCH_TEST_LIMIT;
  t.deepEqual(parseLimit('BENCH_TEST_LIMIT', '250/10000'), { capacity: 250, windowMs: 10_000 });
  process.env.BENCH_TEST_LIMIT = '25/60000';
  t.deepEqual(parseLimit('BENCH_TEST_LIMIT', '250/10000'), { capacity: 25, windowMs: 60_000 });
  delete process.env.BENCH_TEST_LIMIT;
});

test.serial('a malformed benchmark limit stops the benchmark, naming the variable', (t) => {
  for (const bad of ['25', '25/x', 'x/60000', '0/60000', '25/60000/1']) {
    process.env.BENCH_TEST_LIMIT = bad;
    t.throws(() => parseLimit('BENCH_TEST_LIMIT', '250/10000'), { message: /BENCH_TEST_LIMIT/ });
  }
  delete process.env.BENCH_TEST_LIMIT;
});
