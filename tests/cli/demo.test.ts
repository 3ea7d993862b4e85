import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { runCli, startCli } from './run-cli.ts';

/**
 * The front door: `npm run demo` (shipsync and the simulators on the embedded defaults, in one
 * process) and `shipsync sync` against it, each in its own process as a person runs them.
 */

test('npm run demo syncs a bol and a Shopify demo shop with a summary and curl lines that work; shipsync sync follows another sync; SIGTERM stops it', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'shipsync-demo-'));
  const demo = startCli(['demo'], { DATA_DIR: dataDir, PORT: '0', DEMO_SHIPMENTS: '60', DEMO_SHOPIFY_ORDERS: '60', LOG_LEVEL: 'silent' });
  t.teardown(() => {
    demo.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  await demo.until(/Still serving/, 90_000);
  t.regex(demo.out(), /bol initial sync succeeded in [\d.]+ s/);
  t.regex(demo.out(), /Shopify initial sync succeeded in [\d.]+ s/);
  t.regex(demo.out(), /THROTTLED +0\n/);
  t.regex(demo.out(), /shipments stored +60\n/);
  t.regex(demo.out(), /429 Too Many Requests 0\n/);
  const [, token, url] = demo.out().match(/curl -s -H "Authorization: Bearer ([^"]+)" "(http:\/\/localhost:\d+)\/shipments\?limit=5"/)!;
  const listed = await fetch(`${url}/shipments?limit=5`, { headers: { authorization: `Bearer ${token}` } });
  t.is(listed.status, 200);
  t.is(((await listed.json()) as { data: unknown[] }).data.length, 5);
  // The Shopify shop's shipments beside the bol ones.
  const shopify = await fetch(`${url}/shipments?shop_id=2&limit=5`, { headers: { authorization: `Bearer ${token}` } });
  const shopifyRows = ((await shopify.json()) as { data: { source?: string; reference: string | null }[] }).data;
  t.true(shopifyRows.length > 0);
  t.true(shopifyRows.every((r) => r.source === 'shopify' && r.reference?.startsWith('#')), 'Shopify shipments, order names as references');

  // The demo shop is synced every 15 minutes by the clock; a daily interval keeps its next
  // periodic sync from landing on the one started here.
  const patched = await fetch(`${url}/shops/1`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sync_interval_minutes: 1440 }),
  });
  t.is(patched.status, 200);
  const sync = await runCli(['sync', '1', '--type', 'incremental', '--url', url!], { API_TOKEN: token, DATA_DIR: dataDir });
  t.is(sync.code, 0, sync.stderr);
  t.regex(sync.stdout, /Sync \d+ succeeded: 0 shipments, \d+ requests\./);
  const unknown = await runCli(['sync', '99', '--url', url!], { API_TOKEN: token, DATA_DIR: dataDir });
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /shipsync answered 404/);

  const stopAt = Date.now();
  demo.kill('SIGTERM');
  t.is(await demo.exited, 0, demo.err());
  t.true(Date.now() - stopAt < 25_000, 'stopped within the shutdown grace');
});
