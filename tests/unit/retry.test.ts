import test from 'ava';
import { PermanentError, RetryableError, TransientError } from '../../lib/errors.ts';
import { retryTransient } from '../../lib/retry.ts';

/** An attempt that fails with `failures` in turn, then answers 'ok'; counts its calls. */
function attempts(failures: Error[]) {
  const calls = { n: 0 };
  const run = async () => {
    const failure = failures[calls.n++];
    if (failure) throw failure;
    return 'ok';
  };
  return { calls, run };
}

const fast = { retries: 3, minDelayMs: 1, maxDelayMs: 5 };

test('a transient failure is tried again until it answers', async (t) => {
  const a = attempts([new TransientError('503'), new TransientError('503')]);
  t.is(await retryTransient(a.run, fast), 'ok');
  t.is(a.calls.n, 3);
});

test('retries that run out give a RetryableError carrying the last failure', async (t) => {
  const a = attempts(Array.from({ length: 10 }, (_, i) => new TransientError(`503 #${i + 1}`)));
  const err = await t.throwsAsync(retryTransient(a.run, fast), { instanceOf: RetryableError, message: '503 #4' });
  t.true(err?.cause instanceof TransientError);
  t.is(a.calls.n, 4, 'the first attempt and three retries');
});

test('a failure that is not transient passes through at once, untouched', async (t) => {
  const refused = new PermanentError('403');
  const a = attempts([refused]);
  t.is(await t.throwsAsync(retryTransient(a.run, fast)), refused);
  t.is(a.calls.n, 1);
});

test('no retry starts once the signal has aborted (shutdown)', async (t) => {
  const stop = new AbortController();
  let n = 0;
  const run = async () => {
    n++;
    stop.abort();
    throw new TransientError('503');
  };
  await t.throwsAsync(retryTransient(run, { ...fast, signal: stop.signal }), { instanceOf: RetryableError });
  t.is(n, 1);
});

test('no retries allowed: the first transient failure is the answer', async (t) => {
  const a = attempts([new TransientError('503')]);
  await t.throwsAsync(retryTransient(a.run, { ...fast, retries: 0 }), { instanceOf: RetryableError });
  t.is(a.calls.n, 1);
});
