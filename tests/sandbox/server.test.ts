/** `tsx sandbox/server.ts` starts, prints its URL and credentials, serves, and stops on SIGTERM. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../sandbox/server.ts', import.meta.url));

test('the standalone server runs with options from the environment', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_SHIPMENTS: '7', SANDBOX_LIST_LIMIT: '5/500ms' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] && output.includes('BOL_CLIENT_SECRET=')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  t.regex(output, /BOL_LOGIN_URL=http:\/\/127\.0\.0\.1:\d+/);
  t.regex(output, /BOL_CLIENT_ID=demo-client/);
  t.regex(output, /shipments: 7/);
  const rules = (await (await fetch(`${url}/retailer/public/ratelimits`)).json()) as { maxCapacity: number; timeToLiveMs?: number }[];
  t.like(rules[0], { maxCapacity: 5, timeToLiveMs: 500 });

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  t.is(code, 0);
});
