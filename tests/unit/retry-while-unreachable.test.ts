import test from 'ava';
import { retryWhileUnreachable } from '../../models/db.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

test('work refused at connect runs again until the database answers, and the wait is heard of once', async (t) => {
  let runs = 0;
  const heard: unknown[] = [];
  const answer = await retryWhileUnreachable(
    async () => {
      runs++;
      if (runs < 4) throw refused();
      return 'stored';
    },
    { forMs: 10_000, onWait: (err) => heard.push(err) },
  );
  t.is(answer, 'stored');
  t.is(runs, 4);
  t.is(heard.length, 1);
});

test('any other failure, or a wait past forMs, ends with the failure', async (t) => {
  let runs = 0;
  await t.throwsAsync(
    retryWhileUnreachable(async () => {
      runs++;
      throw new Error('Duplicate entry');
    }, { forMs: 10_000 }),
    { message: 'Duplicate entry' },
  );
  t.is(runs, 1);
  await t.throwsAsync(retryWhileUnreachable(async () => Promise.reject(refused()), { forMs: 300 }), { message: /ECONNREFUSED/ });
});

test('a shutdown during a pause ends the wait at once with the last failure: the work runs no more', async (t) => {
  const shutdown = new AbortController();
  let runs = 0;
  let runsAtShutdown = -1;
  // Pauses run 100, 200, 400 ms…: the shutdown lands inside the third.
  setTimeout(() => {
    runsAtShutdown = runs;
    shutdown.abort();
  }, 500);
  const work = async () => {
    runs++;
    throw refused();
  };
  await t.throwsAsync(retryWhileUnreachable(work, { forMs: 60_000, signal: shutdown.signal }), { message: /ECONNREFUSED/ });
  t.is(runs, runsAtShutdown);
});
