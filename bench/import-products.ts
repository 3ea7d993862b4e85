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
 *
 *   npm run bench:import-products
 *   BENCH_ROWS=50000 BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306/test BENCH_AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run bench:import-products
 *
 * The file is generated (and kept in $TMPDIR/shipsync-bench/, or BENCH_FILE) when it is not there yet.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import { createServer } from 'node:net';
import { createKnex, migrateLatest } from '../config/database.ts';
import { destroyRabbitTopology } from '../lib/queue/rabbitmq.ts';
import { defaultCatalogueFile, generateCatalogue } from './generate-products.ts';

const rows = Number(process.env.BENCH_ROWS ?? 500_000);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/test';
const amqpUrl = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const file = path.resolve(process.env.BENCH_FILE ?? defaultCatalogueFile(rows));
const batchRows = process.env.IMPORT_BATCH_ROWS ?? '5000';

if (!existsSync(file)) {
  console.log(`Generating ${file} …`);
  await generateCatalogue(file, rows);
}
const sizeBytes = statSync(file).size;

const dbName = `shipsync_bench_${randomUUID().slice(0, 8)}`;
const admin = knexFactory({ client: 'mysql2', connection: databaseUrl });
await admin.raw(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4`);
await admin.destroy();
const dbUrl = new URL(databaseUrl);
dbUrl.pathname = `/${dbName}`;
const knex = createKnex({ databaseUrl: dbUrl.toString() });
await migrateLatest(knex);
const prefix = `bench.${randomUUID().slice(0, 8)}`;
const apiToken = randomBytes(24).toString('base64url');
const secretsKey = randomBytes(32).toString('base64');
// web and worker as the Procfile runs them: their own processes (the worker's memory is its own,
// and this process is only the client).
const port = await freePort();
const env = { ...process.env, DATABASE_URL: dbUrl.toString(), AMQP_URL: amqpUrl, QUEUE_PREFIX: prefix, API_TOKEN: apiToken, SECRETS_KEY: secretsKey, LOG_LEVEL: 'warn', IMPORT_BATCH_ROWS: batchRows, PORT: String(port) };
const webProcess = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const worker = spawn(process.execPath, ['--import', 'tsx', 'crawler/worker.ts'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const web = { url: `http://127.0.0.1:${port}` };
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${web.url}/health`)).ok) break;
  } catch {
    /* not listening yet */
  }
  if (i > 300) throw new Error('the web process did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const peakRssMb = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
};

async function importFile(): Promise<{ ms: number; body: any }> {
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
    if (body.status === 'succeeded' || body.status === 'failed') return { ms: performance.now() - started, body: { ...body, uploadMs } };
    await new Promise((r) => setTimeout(r, 100));
  }
}

const first = await importFile();
const second = await importFile();
const workerPeakMb = peakRssMb(worker.pid!);

// The limits, on the same server and the same file.
const conn = await mysql.createConnection({ uri: dbUrl.toString(), infileStreamFactory: () => createReadStream(file) } as mysql.ConnectionOptions);
const loadInto = (table: string) =>
  `LOAD DATA LOCAL INFILE '${file}' REPLACE INTO TABLE ${table} CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' ESCAPED BY '' LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES (name, sku, description)`;
await conn.query('CREATE TABLE bench_bare (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL, description TEXT, UNIQUE KEY bench_bare_sku (sku)) CHARACTER SET utf8mb4');
let t0 = performance.now();
await conn.query(loadInto('bench_bare'));
const loadMs = performance.now() - t0;
const [[bare]] = (await conn.query('SELECT COUNT(*) AS n FROM bench_bare')) as any;

await conn.query('CREATE TABLE bench_target LIKE products');
await conn.query('INSERT INTO bench_target SELECT * FROM products');
await conn.query('CREATE TABLE bench_stage (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, sku VARCHAR(128) NOT NULL, name VARCHAR(255) NOT NULL, description TEXT) CHARACTER SET utf8mb4');
t0 = performance.now();
await conn.query(loadInto('bench_stage'));
const now = Date.now();
await conn.query(
  `INSERT INTO bench_target (sku, sku_key, name, description, active, created_at, updated_at)
   SELECT sku, LOWER(sku), name, description, 1, ${now}, ${now} FROM bench_stage ORDER BY id
   ON DUPLICATE KEY UPDATE sku = VALUES(sku), name = VALUES(name), description = VALUES(description), updated_at = VALUES(updated_at)`,
);
const stagingMs = performance.now() - t0;
await conn.end();

const products = Number(((await knex('products').count({ n: '*' }).first()) as { n: number }).n);
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString('en');
const ratioA = loadMs / first.ms;
const ratioB = stagingMs / second.ms;
console.log(`product import benchmark — MySQL + RabbitMQ, one worker process, batches of ${batchRows} rows`);
console.log(`  file:                              ${file}, ${rows.toLocaleString('en')} rows, ${(sizeBytes / 1024 / 1024).toFixed(1)} MB`);
console.log(`  (a) import, empty catalogue:       ${(first.ms / 1000).toFixed(1)} s (upload ${(first.body.uploadMs / 1000).toFixed(1)} s) = ${rate(rows, first.ms)} rows/s   ` +
  `[${first.body.status}: ${first.body.inserted} new, ${first.body.updated} changed, ${first.body.unchanged} unchanged, ${first.body.failed_rows} bad]`);
console.log(`      LOAD DATA LOCAL INFILE:        ${(loadMs / 1000).toFixed(1)} s = ${rate(rows, loadMs)} rows/s   (${bare.n} rows in the bare table; catalogue: ${products} products)`);
console.log(`      ratio of rates:                ${ratioA.toFixed(2)}   (target ≥ 0.5: ${ratioA >= 0.5 ? 'met' : 'NOT met'})`);
console.log(`  (b) re-import, same file:          ${(second.ms / 1000).toFixed(1)} s = ${rate(rows, second.ms)} rows/s   ` +
  `[${second.body.status}: ${second.body.inserted} new, ${second.body.updated} changed, ${second.body.unchanged} unchanged]`);
console.log(`      staging table + upsert:        ${(stagingMs / 1000).toFixed(1)} s = ${rate(rows, stagingMs)} rows/s`);
console.log(`      ratio of rates:                ${ratioB.toFixed(2)}   (target ≥ 0.5: ${ratioB >= 0.5 ? 'met' : 'NOT met'})`);
console.log(`  worker peak memory (VmHWM):        ${workerPeakMb.toFixed(0)} MB   (target ≤ 300 MB: ${workerPeakMb <= 300 ? 'met' : 'NOT met'})`);

worker.kill('SIGTERM');
webProcess.kill('SIGTERM');
await Promise.all([new Promise((r) => worker.once('exit', r)), new Promise((r) => webProcess.once('exit', r))]);
await destroyRabbitTopology(amqpUrl, prefix);
await knex.raw(`DROP DATABASE ${dbName}`);
await knex.destroy();
process.exit(first.body.status === 'succeeded' && second.body.status === 'succeeded' ? 0 : 1);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
