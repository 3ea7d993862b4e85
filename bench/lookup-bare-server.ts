import http from 'node:http';
import mysql from 'mysql2/promise';
import { presentShipmentDetail } from '../api/present.ts';
import { matchCarrierCodes } from '../models/carriers.ts';
import { SHIPMENT_SUMMARY_COLUMNS, type ShipmentSummaryRow } from '../models/shipment-queries.ts';

/**
 * The limit the look-up benchmark chases: a bare node:http server doing the same work as
 * `GET /shipments?tracking_number=…&carrier=…` with mysql2 and nothing else (no framework, no
 * auth, no validation, no logging): the same carrier resolution, the same forced-index query,
 * the same two detail queries, the same JSON. Started by bench/lookup.ts.
 */
const databaseUrl = process.env.BENCH_DB_URL!;
const port = Number(process.env.PORT ?? 0);
const u = new URL(databaseUrl);
const pool = mysql.createPool({
  host: u.hostname,
  port: Number(u.port || 3306),
  user: decodeURIComponent(u.username),
  password: decodeURIComponent(u.password),
  database: u.pathname.slice(1),
  connectionLimit: 10,
  supportBigNumbers: true,
});

let carriers: { at: number; codes: string[] } | undefined;
async function knownCodes(): Promise<string[]> {
  if (!carriers || Date.now() - carriers.at > 60_000) {
    const [rows] = await pool.query('SELECT DISTINCT carrier FROM shipments WHERE carrier IS NOT NULL');
    carriers = { at: Date.now(), codes: (rows as { carrier: string }[]).map((r) => r.carrier) };
  }
  return carriers.codes;
}

const columns = SHIPMENT_SUMMARY_COLUMNS.map((c) => `s.\`${c}\``).join(', ');

async function lookup(trackingNumber: string, carrier: string | null): Promise<unknown> {
  const codes = carrier === null ? null : matchCarrierCodes(carrier, await knownCodes());
  const where = codes === null ? '' : codes.length === 0 ? ' AND s.carrier = ?' : ' AND s.carrier IN (?)';
  const params: unknown[] = [trackingNumber];
  if (codes !== null) params.push(codes.length === 0 ? carrier : codes);
  const [rows] = await pool.query(
    `SELECT ${columns}, s.receiver_street, s.receiver_phone, l.temp_c, l.humidity_pct, l.wind_kph, l.condition, l.provider, l.fetched_at FROM shipments s FORCE INDEX (shipments_tracking_number_idx) ` +
      `LEFT JOIN locations l ON l.id = s.location_id WHERE s.tracking_number = ?${where} ORDER BY s.id DESC LIMIT 51`,
    params,
  );
  type Row = ShipmentSummaryRow & { receiver_street: string | null; receiver_phone: string | null; temp_c: number | null; humidity_pct: number | null; wind_kph: number | null; condition: string | null; provider: string | null; fetched_at: number | null };
  const list = rows as Row[];
  const page = list.slice(0, 50);
  const ids = page.map((r) => Number(r.id));
  if (ids.length === 0) return { data: [], next_cursor: null };
  const [[items], [events]] = await Promise.all([
    pool.query('SELECT shipment_id, item_key, ean, sku, title, quantity, quantity_shipped, unit_price FROM shipment_items WHERE shipment_id IN (?) ORDER BY id', [ids]),
    pool.query('SELECT shipment_id, status, raw_status, description, location, source, occurred_at FROM tracking_events WHERE shipment_id IN (?) ORDER BY occurred_at, id', [ids]),
  ]);
  const data = page.map((r) => {
    const mine = <T extends { shipment_id: number }>(all: T[]) => all.filter((x) => Number(x.shipment_id) === Number(r.id));
    const weather = r.fetched_at !== null ? { temp_c: r.temp_c, humidity_pct: r.humidity_pct, wind_kph: r.wind_kph, condition: r.condition, provider: r.provider, fetched_at: r.fetched_at } : null;
    return presentShipmentDetail(r, mine(items as never[]), mine(events as never[]), weather);
  });
  // The API's cursor is a small base64 string; the bare server only says whether more follow.
  return { data, next_cursor: list.length > 50 ? 'more' : null };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bare.invalid');
  if (url.pathname === '/health') {
    res.writeHead(200).end('ok');
    return;
  }
  const trackingNumber = url.searchParams.get('tracking_number');
  if (url.pathname !== '/shipments' || !trackingNumber) {
    res.writeHead(404).end();
    return;
  }
  lookup(trackingNumber, url.searchParams.get('carrier')).then(
    (body) => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
    },
    (err: unknown) => {
      res.writeHead(500).end(String(err));
    },
  );
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
