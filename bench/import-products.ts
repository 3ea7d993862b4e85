/**
 * Benchmark: a 500,000-row catalogue (bench/generate-products.ts) imported on MySQL + RabbitMQ
 * through the real path, with the Procfile's processes: the file streamed over HTTP to a web
 * process (`api/server.ts`), batches processed by a worker process (`crawler/worker.ts`), timed
 * from the first byte of the upload to `succeeded`.
 *   (a) into an empty catalogue, beside MySQL's own `LOAD DATA LOCAL INFILE` of the same file into
 *       a bare table with the same unique key (the limit);           target: ≥ 0.5 of its rate
 *   (b) the same file again, beside a staging-table upsert (`LOAD DATA` into a staging table,
 *       then `INSERT … SELECT … ON DUPLICATE KEY UPDATE` into a full copy of the catalogue);
 *                                                                    target: ≥ 0.5 of its rate
 *   worker peak memory (VmHWM of the worker process);                target: ≤ 300 MB
 * BENCH_ROUNDS rounds (3) take turns; the median ratios are the figures.
 *
 *   npm run bench:import-products
 *   BENCH_ROWS=50000 BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run bench:import-products
 *
 * The file is generated (and kept in $TMPDIR/shipsync-bench/, or BENCH_FILE) when it is not there yet.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import mysql from 'mysql2/promise';
import { defaultCatalogueFile, generateCatalogue } from './generate-products.ts';
import { cpuSeconds, createBenchDatabase, destroyBenchTopology, freePort, median, peakRssMb, spawnProcfileProcess, stopProcess, waitForHealth } from './harness.ts';

const rows = Number(process.env.BENCH_ROWS ?? 500_000);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
const amqpUrl = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const file = path.resolve(process.env.BENCH_FILE ?? defaultCatalogueFile(rows));
const batchRows = process.env.IMPORT_BATCH_ROWS ?? '5000';
const roundCount = Number(process.env.BENCH_ROUNDS ?? 3);

if (!existsSync(file)) {
  console.log(`Generating ${file} …`);
  await generateCatalogue(file, rows);
}
const sizeBytes = statSync(file).size;

const db = await createBenchDatabase(databaseUrl);
const { knex } = db;
const prefix = `bench.${randomUUID().slice(0, 8)}`;
const apiToken = randomBytes(24).toString('base64url');
const secretsKey = randomBytes(32).toString('base64');
// web and worker as the Procfile runs them: their own processes (the worker's memory is its own,
// and this process is only the client).
const port = await freePort();
const env = { DATABASE_URL: db.url, AMQP_URL: amqpUrl, QUEUE_PREFIX: prefix, API_TOKEN: apiToken, SECRETS_KEY: secretsKey, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn', IMPORT_BATCH_ROWS: batchRows, PORT: String(port) };
const webProcess = spawnProcfileProcess('web', env);
const worker = spawnProcfileProcess('worker', env);
const web = { url: `http://127.0.0.1:${port}` };
await waitForHealth(web.url, webProcess);

const mysqldPid = Number(execFileSync('pidof', ['mariadbd', 'mysqld'], { encoding: 'utf8' }).trim().split(/\s+/)[0] ?? 0) || null;
/** Where the time of an import went: CPU seconds of the web and worker processes and of the database server. */
const cpuNow = () => ({ web: cpuSeconds(webProcess.pid!), worker: cpuSeconds(worker.pid!), db: mysqldPid ? cpuSeconds(mysqldPid) : NaN });
const cpuSince = (before: ReturnType<typeof cpuNow>) => {
  const now = cpuNow();
  return `CPU s: web ${(now.web - before.web).toFixed(1)}, worker ${(now.worker - before.worker).toFixed(1)}, database ${(now.db - before.db).toFixed(1)}`;
};

async function importFile(): Promise<{ ms: number; body: any; cpu: string }> {
  const cpuBefore = cpuNow();
  const started = performance.now();
  const res = await fetch(`${web.url}/imports?type=products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'text/csv', 'content-length': String(sizeBytes) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const upload = (await res.json()) as any;
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(upload)}`);
  const uploadMs = performance.now() - started;
  for (;;) {
    const body = (await (await fetch(`${web.url}/imports/${upload.id}`, { headers: { authorization: `Bearer ${apiToken}` } })).json()) as any;
    if (body.status === 'succeeded' || body.status === 'failed') return { ms: performance.now() - started, body: { ...body, uploadMs }, cpu: cpuSince(cpuBefore) };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Each timed phase starts on a settled server: the dirty pages the previous phase left in
 * InnoDB's buffer pool are written out first, so no phase pays for another's writes (this was
 * the largest source of noise between runs). MariaDB's page cleaner is told to flush everything
 * for the moment, then set back.
 */
async function settle(): Promise<void> {
  const [[{ pct }]] = (await knex.raw('SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct')) as any;
  await knex.raw('SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    for (let i = 0; i < 600; i++) {
      const [[dirty]] = (await knex.raw("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'")) as any;
      if (Number(dirty.Value) < 64) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await knex.raw('SET GLOBAL innodb_max_dirty_pages_pct = ?', [Number(pct)]);
  }
}

// The limits, on the same server and the same file.
const conn = await mysql.createConnection({ uri: db.url, infileStreamFactory: () => createReadStream(file) } as mysql.ConnectionOptions);
const loadInto = (table: string) =>
  `LOAD DATA LOCAL INFILE '${file}' REPLACE INTO TABLE ${table} CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES (name, sku, description)`;
await conn.query('CREATE TABLE bench_bare (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL, description TEXT, UNIQUE KEY bench_bare_sku (sku)) CHARACTER SET utf8mb4');
await conn.query('CREATE TABLE bench_target LIKE products');
await conn.query('CREATE TABLE bench_stage (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL, description TEXT) CHARACTER SET utf8mb4');

/** `LOAD DATA` of the file into the empty bare table. */
async function loadBare(): Promise<Phase> {
  await conn.query('TRUNCATE TABLE bench_bare');
  await settle();
  const dbBefore = cpuNow().db;
  const t0 = performance.now();
  await conn.query(loadInto('bench_bare'));
  return { ms: performance.now() - t0, cpu: `CPU s: database ${(cpuNow().db - dbBefore).toFixed(1)}` };
}

/** `LOAD DATA` into a staging table, then one upsert into a full copy of the catalogue. */
async function stagingUpsert(): Promise<Phase> {
  await conn.query('TRUNCATE TABLE bench_target');
  await conn.query('INSERT INTO bench_target SELECT * FROM products');
  await conn.query('TRUNCATE TABLE bench_stage');
  await settle();
  const dbBefore = cpuNow().db;
  const t0 = performance.now();
  await conn.query(loadInto('bench_stage'));
  const now = Date.now();
  await conn.query(
    `INSERT INTO bench_target (sku, sku_key, name, description, active, created_at, updated_at)
     SELECT sku, LOWER(sku), name, description, 1, ${now}, ${now} FROM bench_stage ORDER BY id
     ON DUPLICATE KEY UPDATE sku = VALUES(sku), name = VALUES(name), description = VALUES(description), updated_at = VALUES(updated_at)`,
  );
  return { ms: performance.now() - t0, cpu: `CPU s: database ${(cpuNow().db - dbBefore).toFixed(1)}` };
}

interface Phase {
  ms: number;
  cpu: string;
}
interface Round {
  load: Phase;
  first: Awaited<ReturnType<typeof importFile>>;
  second: Awaited<ReturnType<typeof importFile>>;
  staging: Phase;
  ratioA: number;
  ratioB: number;
}

// Rounds taking turns (limit, import, re-import, limit): this machine's speed drifts by a fifth
// from one minute to the next, so each ratio compares neighbours and the median is reported.
const rounds: Round[] = [];
for (let r = 0; r < roundCount; r++) {
  const load = await loadBare();
  await knex('products').truncate();
  await settle();
  const first = await importFile();
  await settle();
  const second = await importFile();
  const staging = await stagingUpsert();
  rounds.push({ load, first, second, staging, ratioA: load.ms / first.ms, ratioB: staging.ms / second.ms });
}
const workerPeakMb = peakRssMb(worker.pid!);
const [[bare]] = (await conn.query('SELECT COUNT(*) AS n FROM bench_bare')) as any;
await conn.end();

const products = Number(((await knex('products').count({ n: '*' }).first()) as { n: number }).n);
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString('en');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(`product import benchmark — MySQL + RabbitMQ, one worker process, batches of ${batchRows} rows, ${roundCount} round${roundCount === 1 ? '' : 's'}`);
console.log(`  file: ${file}, ${rows.toLocaleString('en')} rows, ${(sizeBytes / 1024 / 1024).toFixed(1)} MB; ${bare.n} rows in the bare table, ${products} products in the catalogue`);
for (const [i, { load, first, second, staging, ratioA, ratioB }] of rounds.entries()) {
  console.log(`  round ${i + 1}`);
  console.log(`    (a) import, empty catalogue:   ${seconds(first.ms)} (upload ${seconds(first.body.uploadMs)}) = ${rate(rows, first.ms)} rows/s   ` +
    `[${first.body.status}: ${first.body.inserted} new, ${first.body.updated} changed, ${first.body.unchanged} unchanged, ${first.body.failed_rows} bad]   ${first.cpu}`);
  console.log(`        LOAD DATA LOCAL INFILE:    ${seconds(load.ms)} = ${rate(rows, load.ms)} rows/s   ${load.cpu}   ratio ${ratioA.toFixed(2)}`);
  console.log(`    (b) re-import, same file:      ${seconds(second.ms)} = ${rate(rows, second.ms)} rows/s   ` +
    `[${second.body.status}: ${second.body.inserted} new, ${second.body.updated} changed, ${second.body.unchanged} unchanged]   ${second.cpu}`);
  console.log(`        staging table + upsert:    ${seconds(staging.ms)} = ${rate(rows, staging.ms)} rows/s   ${staging.cpu}   ratio ${ratioB.toFixed(2)}`);
}
const ratioA = median(rounds.map((r) => r.ratioA));
const ratioB = median(rounds.map((r) => r.ratioB));
console.log(`  (a) import / LOAD DATA, median ratio of rates:        ${ratioA.toFixed(2)}   (target ≥ 0.5: ${ratioA >= 0.5 ? 'met' : 'NOT met'})`);
console.log(`  (b) re-import / staging upsert, median ratio of rates: ${ratioB.toFixed(2)}   (target ≥ 0.5: ${ratioB >= 0.5 ? 'met' : 'NOT met'})`);
console.log(`  worker peak memory (VmHWM):                           ${workerPeakMb.toFixed(0)} MB   (target ≤ 300 MB: ${workerPeakMb <= 300 ? 'met' : 'NOT met'})`);
const succeeded = rounds.every((r) => r.first.body.status === 'succeeded' && r.second.body.status === 'succeeded');

await Promise.all([stopProcess(worker), stopProcess(webProcess)]);
await destroyBenchTopology(amqpUrl, prefix);
await db.drop();
process.exit(succeeded ? 0 : 1);
