import test from 'ava';
import { singleFlight } from '../../lib/single-flight.ts';

test('callers while a run is in flight share it; the next call after it settles runs again, also after a failure', async (t) => {
  let runs = 0;
  let fail = false;
  const fetchToken = singleFlight(async (who: string) => {
    runs++;
    await new Promise((r) => setTimeout(r, 20));
    if (fail) throw new Error(`refused (${who})`);
    return `token ${runs} for ${who}`;
  });
  t.deepEqual(await Promise.all([fetchToken('a'), fetchToken('b'), fetchToken('c')]), ['token 1 for a', 'token 1 for a', 'token 1 for a']);
  t.is(await fetchToken('d'), 'token 2 for d');
  fail = true;
  const failures = await Promise.allSettled([fetchToken('e'), fetchToken('f')]);
  t.deepEqual(failures.map((f) => (f.status === 'rejected' ? (f.reason as Error).message : f.status)), ['refused (e)', 'refused (e)']);
  fail = false;
  t.is(await fetchToken('g'), 'token 4 for g');
  t.is(runs, 4);
});
