/** Environment parsing for `tsx sandbox/server.ts`. */
import test from 'ava';
import { bolOptionsFromEnv, parseLimitSpec } from '../../sandbox/env.ts';

test('parseLimitSpec reads CAPACITY/WINDOW with a unit', (t) => {
  t.deepEqual(parseLimitSpec('25/60s'), { capacity: 25, windowMs: 60_000 });
  t.deepEqual(parseLimitSpec('5/500ms'), { capacity: 5, windowMs: 500 });
  t.deepEqual(parseLimitSpec('50/1m'), { capacity: 50, windowMs: 60_000 });
  t.deepEqual(parseLimitSpec('25/min'), { capacity: 25, windowMs: 60_000 });
  t.deepEqual(parseLimitSpec(' 10 / 1.5s '), { capacity: 10, windowMs: 1_500 });
  for (const bad of ['25', '25/60', '0/60s', 'x/60s', '25/0s', '25/60d']) t.throws(() => parseLimitSpec(bad), { instanceOf: RangeError }, bad);
});

test('bolOptionsFromEnv maps every variable and leaves unset ones to the defaults', (t) => {
  t.deepEqual(bolOptionsFromEnv({}), {});
  t.deepEqual(
    bolOptionsFromEnv({
      SANDBOX_PORT: '8080',
      SANDBOX_SHIPMENTS: '500',
      SANDBOX_SEED: '7',
      SANDBOX_TOKEN_LIFETIME_SECONDS: '60',
      SANDBOX_LIST_LIMIT: '25/60s',
      SANDBOX_DETAIL_LIMIT: '5/500ms',
      SANDBOX_LATENCY_MS: '50',
      SANDBOX_ERROR_RATE: '0.05',
    }),
    {
      port: 8080,
      shipments: 500,
      seed: 7,
      tokenLifetimeSeconds: 60,
      latencyMs: 50,
      serverErrorRate: 0.05,
      limits: { list: { capacity: 25, windowMs: 60_000 }, detail: { capacity: 5, windowMs: 500 } },
    },
  );
});

test('bolOptionsFromEnv refuses bad values instead of falling back', (t) => {
  for (const env of [{ SANDBOX_PORT: 'abc' }, { SANDBOX_ERROR_RATE: '1.5' }, { SANDBOX_SHIPMENTS: '-1' }, { SANDBOX_LIST_LIMIT: 'lots' }]) {
    t.throws(() => bolOptionsFromEnv(env), { instanceOf: RangeError }, JSON.stringify(env));
  }
});
