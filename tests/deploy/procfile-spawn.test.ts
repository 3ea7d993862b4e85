import test from 'ava';
import { spawnProcfileProcess } from '../../bench/harness.ts';

/**
 * A benchmark's extra Node flags for a Procfile process go on its command line after the
 * Procfile's own, before the script: Node takes the last of a repeated flag, so they win (the
 * same flag in NODE_OPTIONS would lose to the Procfile's).
 */
test('spawnProcfileProcess puts extra Node flags after the Procfile’s and before the script', async (t) => {
  const child = spawnProcfileProcess('worker', {}, 'ignore', ['--max-old-space-size=100']);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  const args = child.spawnargs.slice(1);
  t.is(args.at(-1), 'crawler/worker.ts');
  t.is(args.at(-2), '--max-old-space-size=100');
  t.true(args.indexOf('--max-old-space-size=192') < args.indexOf('--max-old-space-size=100'));
});
