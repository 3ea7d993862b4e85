/**
 * Writes a 500,000-row product catalogue shaped like the Acme / Fulfil file
 * (shared/data/README.md, fulfil): header `name,sku,description`, CRLF records, LF line breaks
 * inside quoted multi-line descriptions, no final newline, lower-case word SKUs, and about 7%
 * repeated SKUs (the original has 466,693 distinct SKUs in 500,000 rows), half of the repeats
 * written in another case. Deterministic (a seeded PRNG): the same file every time.
 *
 *   npm run bench:generate-products                       # $TMPDIR/shipsync-bench/products-500k.csv
 *   BENCH_ROWS=100000 npm run bench:generate-products -- /tmp/products.csv
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { mulberry32 } from '../sandbox/prng.ts';

const rows = Number(process.env.BENCH_ROWS ?? 500_000);
const file = process.argv[2] ?? defaultCatalogueFile(rows);
/** 500,000 - 466,693 = 33,307 repeats: 6.66% of the rows. */
const REPEAT_SHARE = 33_307 / 500_000;

/** Where the benchmarks keep the generated file: the system's temporary folder, not the project's. */
export function defaultCatalogueFile(count: number): string {
  return path.join(tmpdir(), 'shipsync-bench', `products-${count >= 1000 ? `${Math.round(count / 1000)}k` : count}.csv`);
}

export interface GeneratedCatalogue {
  file: string;
  rows: number;
  distinctSkus: number;
  bytes: number;
}

const WORDS = (
  'art community floor adult your single type per back former stock thing produce successful hot tree past action young song himself then tax eye little last state vote country ' +
  'down list that speech economy leave choice should lead budget task author best mention often stuff professional today allow after door instead model seat fear evidence now sing ' +
  'opportunity feeling season show alone maybe education risk despite way want benefit manage financial story term must wife activity firm example later black win rest ask born wind ' +
  'boy marriage begin value record health laugh under notice federal hard lose need sell treatment certain throw executive front late because truth daughter thousand process eat ' +
  'employee have they increase water magazine child start near necessary game everybody hospital upon suffer year discussion south government nothing knowledge race population exist ' +
  'against wear level coach girl situation lose positive reason option crime raise end cup return guess step onto citizen some middle important fight wrong position fine friend'
).split(' ');
const FIRST = 'Bryce John Theresa Roger Tiffany Roy David Anthony Maria Linda James Patricia Robert Jennifer Michael Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah'.split(' ');
const LAST = 'Jones Robinson Taylor Huerta Buckley Johnson Golden Wright Burch Smith Williams Brown Miller Davis Garcia Rodriguez Wilson Martinez Anderson Thomas Moore Jackson Martin Lee'.split(' ');

export async function generateCatalogue(target: string, count: number): Promise<GeneratedCatalogue> {
  mkdirSync(path.dirname(target), { recursive: true });
  const random = mulberry32(20261122);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const sentence = () => {
    const n = 4 + Math.floor(random() * 8);
    const words = Array.from({ length: n }, () => pick(WORDS));
    return words[0]![0]!.toUpperCase() + words.join(' ').slice(1) + '.';
  };
  const description = () => {
    const paragraphs = random() < 0.45 ? 2 + Math.floor(random() * 3) : 1;
    return Array.from({ length: paragraphs }, () => Array.from({ length: 1 + Math.floor(random() * 3) }, sentence).join(' ')).join('\n');
  };
  const skus: string[] = [];
  const seen = new Set<string>();
  const newSku = () => {
    for (;;) {
      const n = 2 + Math.floor(random() * 3);
      const sku = Array.from({ length: n }, () => pick(WORDS)).join('-');
      if (!seen.has(sku)) {
        seen.add(sku);
        skus.push(sku);
        return sku;
      }
    }
  };
  const out = createWriteStream(target);
  let bytes = 0;
  let buffer = 'name,sku,description';
  for (let i = 0; i < count; i++) {
    let sku: string;
    if (skus.length > 1000 && random() < REPEAT_SHARE) {
      sku = pick(skus);
      // Half the repeats in another case: one product all the same (SKUs are case-insensitive).
      if (random() < 0.5) sku = sku.toUpperCase();
    } else sku = newSku();
    const desc = description();
    const quoted = desc.includes('\n') || desc.includes(',') ? `"${desc.replace(/"/g, '""')}"` : desc;
    buffer += `\r\n${pick(FIRST)} ${pick(LAST)},${sku},${quoted}`;
    if (buffer.length > 1 << 20) {
      bytes += Buffer.byteLength(buffer);
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  bytes += Buffer.byteLength(buffer);
  out.end(buffer);
  await once(out, 'finish');
  return { file: target, rows: count, distinctSkus: seen.size, bytes };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('generate-products.ts')) {
  const started = performance.now();
  const result = await generateCatalogue(file, rows);
  console.log(
    `Wrote ${result.file}: ${result.rows.toLocaleString('en')} rows, ${result.distinctSkus.toLocaleString('en')} distinct SKUs ` +
      `(${(((result.rows - result.distinctSkus) / result.rows) * 100).toFixed(2)}% repeated), ${(result.bytes / 1024 / 1024).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
