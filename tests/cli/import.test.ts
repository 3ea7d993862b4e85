import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { FIXTURES, perSetImportHarness, type ImportHarness } from '../imports/harness.ts';
import { runCli } from './run-cli.ts';

/**
 * `shipsync import` as a person runs it: the real CLI in its own process, against the API and a
 * worker on each adapter set, judged by what it prints and its exit code.
 */

function shipsync(h: ImportHarness, args: string[], dataDir: string) {
  return runCli([...args, '--url', h.url], { API_TOKEN: h.token, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
}

eachAdapterSet((set) => {
  const harness = perSetImportHarness(test, set);
  let dir = '';
  test.before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shipsync-cli-'));
  });
  test.after.always(() => rmSync(dir, { recursive: true, force: true }));

  test.serial(`${set.name}: shipsync import products prints the counts of the Acme sample and exits 0`, async (t) => {
    const run = await shipsync(harness(), ['import', 'products', path.join(FIXTURES, 'fulfil', 'products-sample.csv')], dir);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /Uploading products-sample\.csv \(0\.\d MB\) as products/);
    t.regex(run.stdout, /Import \d+ succeeded: 998 rows, 499 new, 0 changed, 499 unchanged, 0 bad\.\n/);
  });

  test.serial(`${set.name}: rows that cannot be imported are listed with their line numbers, with where to get them all`, async (t) => {
    const file = path.join(dir, 'catalogue.csv');
    writeFileSync(file, 'name,sku,description\r\nKept,cli-1,fine\r\nNo SKU,,missing\r\n"Two\r\nlines",cli-2,"a\r\nb"\r\nShort,cli-3\r\n');
    const run = await shipsync(harness(), ['import', 'products', file], dir);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /succeeded: 4 rows, 2 new, 0 changed, 0 unchanged, 2 bad\./);
    t.regex(run.stdout, /line 3: sku is missing/);
    // The record before it spans lines 4 to 6 (two line breaks inside quotes).
    t.regex(run.stdout, /line 7: has 2 fields, the header has 3/);
    t.regex(run.stdout, /All row errors: curl .*\/imports\/\d+\/errors\.csv/);
  });

  test.serial(`${set.name}: a courier report gets its event from its file name; a file that names none is refused with what to add`, async (t) => {
    const feed = path.join(dir, 'delivery-exceptions.csv');
    copyFileSync(path.join(FIXTURES, 'zywa-card-status', 'delivery-exceptions.csv'), feed);
    const ok = await shipsync(harness(), ['import', 'status_feed', feed, '--timezone', 'Asia/Dubai'], dir);
    t.is(ok.code, 0, ok.stderr);
    t.regex(ok.stdout, /as status_feed \(delivery_exception\)/);
    t.regex(ok.stdout, /Import \d+ succeeded: 2 rows, /);

    const unnamed = path.join(dir, 'report.csv');
    copyFileSync(feed, unnamed);
    const refused = await shipsync(harness(), ['import', 'status_feed', unnamed], dir);
    t.is(refused.code, 1);
    t.regex(refused.stderr, /shipsync answered 400/);
    t.regex(refused.stderr, /event: /);

    const missing = await shipsync(harness(), ['import', 'products', path.join(dir, 'nowhere.csv')], dir);
    t.is(missing.code, 2);
    t.regex(missing.stderr, /There is no file at .*nowhere\.csv/);
  });
});
