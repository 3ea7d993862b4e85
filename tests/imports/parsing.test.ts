import { Readable } from 'node:stream';
import test from 'ava';
import { parse } from 'csv-parse/sync';
import { countryCodeOf, parseAddress } from '../../crawler/imports/address.ts';
import { cleanPhone } from '../../crawler/imports/phones.ts';
import { phoneKey } from '../../models/phone-key.ts';
import { openBatchReader, readBatch } from '../../crawler/imports/read-batch.ts';
import { isValidTimeZone, parseFeedTimestamp } from '../../crawler/imports/timestamps.ts';
import { mapParcelLabStatus, STATUS_FEED_EVENT_STATUS } from '../../crawler/status-mapping.ts';
import { neutraliseCell } from '../../api/csv-export.ts';
import { fixture } from './harness.ts';

/** The pure parts of imports: timestamps, phones, addresses, statuses, batch reading, formula cells. */

const iso = (text: string, zone = 'Asia/Dubai') => {
  const r = parseFeedTimestamp(text, zone);
  return r.ok ? new Date(r.ms).toISOString() : `error: ${r.reason}`;
};

test('the four timestamp formats of the partner feeds, day first, in the feed zone', (t) => {
  t.is(iso('12-11-2023 3:45 AM'), '2023-11-11T23:45:00.000Z');
  t.is(iso('13-11-2023 14:00'), '2023-11-13T10:00:00.000Z');
  t.is(iso('2023-11-13T09:34:56Z'), '2023-11-13T09:34:56.000Z', 'ISO carries its own zone');
  t.is(iso('14-11-2023 12:00PM'), '2023-11-14T08:00:00.000Z', 'noon, no space before PM');
  t.is(iso('12-11-2023 12:10 AM'), '2023-11-11T20:10:00.000Z', '12 AM is just after midnight');
  t.is(iso('12-11-2023 11:59 PM'), '2023-11-12T19:59:00.000Z');
  t.is(iso('05/01/2024 08:00', 'Europe/Amsterdam'), '2024-01-05T07:00:00.000Z', '5 January, not 1 May');
  t.is(iso('15-07-2024 08:00', 'Europe/Amsterdam'), '2024-07-15T06:00:00.000Z', 'summer time');
  for (const bad of ['31-11-2023 10:00', '13-13-2023 10:00', '13-11-2023 24:00', '13-11-2023 13:00 PM', 'yesterday', '']) t.regex(iso(bad), /^error: /, bad);
  t.true(isValidTimeZone('Asia/Dubai'));
  t.false(isValidTimeZone('Mars/Olympus'));
});

test('phones in the three forms of the files reduce to the same customer key', (t) => {
  t.is(cleanPhone('"0534534534"'), '0534534534', 'the literal quotes are not part of the number');
  const keys = ['585949014', '"0585949014"', '971585949014', '+971 58 594 9014'].map((p) => phoneKey(cleanPhone(p), 9));
  t.deepEqual(new Set(keys), new Set(['585949014']));
  t.is(phoneKey(cleanPhone('12345'), 9), null, 'too few digits to be a phone');
  t.is(cleanPhone('n/a'), null);
});

test('free-text addresses split into street, postal code, city and ISO country', (t) => {
  t.deepEqual(parseAddress('Street 10, 75001 Paris, France'), { street: 'Street 10', postalCode: '75001', city: 'Paris', country: 'FR' });
  t.deepEqual(parseAddress('Street 20, 1000 Brussels, Belgium'), { street: 'Street 20', postalCode: '1000', city: 'Brussels', country: 'BE' });
  t.deepEqual(parseAddress('Damrak 1, 1012 LG Amsterdam, Nederland'), { street: 'Damrak 1', postalCode: '1012 LG', city: 'Amsterdam', country: 'NL' });
  t.deepEqual(parseAddress('Flat 2, 10 Downing St, London SW1A 2AA, United Kingdom'), { street: 'Flat 2, 10 Downing St', postalCode: 'SW1A 2AA', city: 'London', country: 'GB' });
  t.deepEqual(parseAddress('Hauptstr. 5, D-10115 Berlin, Deutschland'), { street: 'Hauptstr. 5', postalCode: '10115', city: 'Berlin', country: 'DE' });
  t.deepEqual(parseAddress('Somewhere 1, Atlantis'), { street: 'Somewhere 1', postalCode: null, city: 'Atlantis', country: null });
  t.is(countryCodeOf('DE'), 'DE');
  t.is(countryCodeOf('Espagne'), 'ES');
  t.is(countryCodeOf('ZZ'), null);
  t.is(countryCodeOf('Narnia'), null);
});

test('parcelLab statuses and partner feed event kinds map per the status contract', (t) => {
  t.is(mapParcelLabStatus('in-transit'), 'in_transit');
  t.is(mapParcelLabStatus('In_Transit'), 'in_transit', 'the spelling drifts between copies');
  t.is(mapParcelLabStatus('inbound-scan'), 'in_transit', 'a depot scan');
  t.is(mapParcelLabStatus('scanned'), 'in_transit', 'a depot scan');
  t.is(mapParcelLabStatus('transit'), 'in_transit');
  t.is(mapParcelLabStatus('delivery'), 'out_for_delivery');
  t.is(mapParcelLabStatus('teleported'), null);
  t.deepEqual(STATUS_FEED_EVENT_STATUS, { pickup: 'in_transit', delivery_exception: 'attempt_fail', delivered: 'delivered', returned: 'returned' });
});

test('cells a spreadsheet would run as formulas are neutralised, nothing else', (t) => {
  for (const v of ['=1+2', '+31 6', '-5', '@SUM(A1)', '\tx', '\rx']) t.is(neutraliseCell(v), `'${v}`);
  for (const v of ['plain', 'a=b', '', 5, -5, null, true]) t.is(neutraliseCell(v), v);
});

test('the Acme sample read in batches from checkpoints gives exactly what one parse of the whole file gives', async (t) => {
  const file = fixture('fulfil/products-sample.csv');
  const whole = parse(file, { bom: true }) as string[][];
  let cp = { offset: 0, line: 0, record: 0, header: null as string[] | null };
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = 0; i < 100; i++) {
    // A fresh reader at every checkpoint, as a job on another worker would start.
    const batch = await readBatch(Readable.from([file.subarray(cp.offset)]), cp, 77);
    rows.push(...batch.rows.map((r) => r.cells));
    lines.push(...batch.rows.map((r) => r.line));
    cp = { ...batch.next, header: batch.header };
    if (batch.done) break;
  }
  t.deepEqual(cp.header, whole[0]);
  t.deepEqual(rows, whole.slice(1));
  t.is(cp.offset, file.length);
  // Every reported line is where that record starts in the file.
  const text = file.toString('utf8');
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  for (const [i, line] of lines.entries()) t.true(text.slice(starts[line - 1]).startsWith(whole[i + 1]![0]!), `record ${i + 1} starts on line ${line}`);
});

test('line numbers stay right with CRLF inside quoted fields; one reader serves consecutive batches', async (t) => {
  const file = Buffer.from(['a,b', '1,"x\r\ny"', '2,z', '3,"p\r\nq\r\nr"', '4,w'].join('\r\n'));
  const reader = openBatchReader(Readable.from([file]), { offset: 0, line: 0, record: 0, header: null });
  const first = await reader.next(2);
  const second = await reader.next(2);
  reader.close();
  t.deepEqual(first.rows.map((r) => [r.line, r.record]), [[2, 1], [4, 2]]);
  t.false(first.done);
  t.deepEqual(second.rows.map((r) => [r.line, r.record]), [[5, 3], [8, 4]]);
  t.true(second.done, 'the last record has no newline after it: the file ends there');
  t.deepEqual(first.next, { offset: Buffer.byteLength('a,b\r\n1,"x\r\ny"\r\n2,z\r\n'), line: 4, record: 3, newline: '\r\n' });
  t.is(second.next.offset, file.length);
});

test('however the bytes arrive (split inside a CRLF, a quoted field or a UTF-8 character), one reader gives what one parse of the whole file gives', async (t) => {
  const file = Buffer.from(
    ['\uFEFFname,sku,description', 'Parcel 📦,a-1,"two\r\nlines, and ""quotes"""', 'Crème brûlée,b-2,', '', 'Ünïcödé,c-3,"x\ny"', 'Last,d-4,no final newline'].join('\r\n'),
  );
  const whole = parse(file, { bom: true, skip_empty_lines: true }) as string[][];
  for (const size of [1, 2, 3, 7, 64]) {
    const pieces: Buffer[] = [];
    for (let i = 0; i < file.length; i += size) pieces.push(file.subarray(i, i + size));
    const reader = openBatchReader(Readable.from(pieces), { offset: 0, line: 0, record: 0, header: null });
    const rows: string[][] = [];
    const lines: number[] = [];
    for (;;) {
      const batch = await reader.next(2);
      rows.push(...batch.rows.map((r) => r.cells));
      lines.push(...batch.rows.map((r) => r.line));
      if (batch.done) {
        t.deepEqual(batch.header, whole[0], `header, pieces of ${size}`);
        t.is(batch.next.offset, file.length, `offset, pieces of ${size}`);
        break;
      }
    }
    reader.close();
    t.deepEqual(rows, whole.slice(1), `pieces of ${size} bytes`);
    t.deepEqual(lines, [2, 4, 6, 8], `lines, pieces of ${size} bytes`);
  }
});
