import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import test from 'ava';

/**
 * The front door: `npm run demo` (shipsync and the simulators on the embedded defaults, in one
 * process) and `shipsync sync` against it, each in its own process as a person runs them.
 */

function cli(args: string[], env: NodeJS.ProcessEnv): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ['--import', 'tsx', 'cli/shipsync.ts', ...args], {
    env: { ...process.env, DATABASE_URL: '', AMQP_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output; `until` resolves once stdout matches. */
function watch(child: ChildProcessByStdio<null, Readable, Readable>) {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    out: () => stdout,
    err: () => stderr,
    exited,
    async until(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = stdout.match(pattern);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`never printed ${pattern}:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

test('npm run demo syncs a demo shop with a summary and curl lines that work; shipsync sync follows another sync; SIGTERM stops it', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shipsync-demo-'));
  const demo = cli(['demo'], { DATA_DIR: dataDir, PORT: '0', DEMO_SHIPMENTS: '60', LOG_LEVEL: 'silent' });
  const seen = watch(demo);
  t.teardown(() => {
    demo.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  await seen.until(/Still serving/, 90_000);
  t.regex(seen.out(), /Initial sync succeeded in [\d.]+ s/);
  t.regex(seen.out(), /shipments stored +60\n/);
  t.regex(seen.out(), /429 Too Many Requests 0\n/);
  const [, token, url] = seen.out().match(/curl -s -H "Authorization: Bearer ([^"]+)" "(http:\/\/localhost:\d+)\/shipments\?limit=5"/)!;
  const listed = await fetch(`${url}/shipments?limit=5`, { headers: { authorization: `Bearer ${token}` } });
  t.is(listed.status, 200);
  t.is(((await listed.json()) as { data: unknown[] }).data.length, 5);

  // The demo shop is synced every 15 minutes by the clock; a daily interval keeps its next
  // periodic sync from landing on the one started here.
  const patched = await fetch(`${url}/shops/1`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sync_interval_minutes: 1440 }),
  });
  t.is(patched.status, 200);
  const sync = watch(cli(['sync', '1', '--type', 'incremental', '--url', url!], { API_TOKEN: token, DATA_DIR: dataDir }));
  t.is(await sync.exited, 0, sync.err());
  t.regex(sync.out(), /Sync \d+ succeeded: 0 shipments, \d+ requests\./);
  const unknown = watch(cli(['sync', '99', '--url', url!], { API_TOKEN: token, DATA_DIR: dataDir }));
  t.is(await unknown.exited, 1);
  t.regex(unknown.err(), /shipsync answered 404/);

  const stopAt = Date.now();
  demo.kill('SIGTERM');
  t.is(await seen.exited, 0, seen.err());
  t.true(Date.now() - stopAt < 25_000, 'stopped within the shutdown grace');
});
