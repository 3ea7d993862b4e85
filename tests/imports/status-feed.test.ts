import test from 'ava';
import { ImportView } from '../../api/import-schemas.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { parkedSubscriber } from '../helpers/subscriber.ts';
import { fixture, perSetImportHarness, type ImportHarness } from './harness.ts';

/**
 * The Zywa brief: four partner reports, one per event kind, imported in any order, must leave
 * each card with the status of its latest event by time and its whole timeline
 * (shared/data/README.md: ZYW8827 delivered, ZYW8890 returned, ZYW7631 delivered).
 */
const FILES = [
  { file: 'zywa-card-status/pickup.csv', event: 'pickup' },
  { file: 'zywa-card-status/delivery-exceptions.csv', event: 'delivery_exception' },
  { file: 'zywa-card-status/delivered.csv', event: 'delivered' },
  { file: 'zywa-card-status/returned.csv', event: 'returned' },
] as const;

const EXPECTED = {
  ZYW8827: { status: 'delivered', timeline: ['pickup', 'delivered'] },
  ZYW8890: { status: 'returned', timeline: ['pickup', 'delivery_exception', 'returned'] },
  ZYW7631: { status: 'delivered', timeline: ['pickup', 'delivery_exception', 'delivered'] },
} as const;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** What support staff get from one look-up by card id: the shipment whole, timeline included. */
async function cardView(h: ImportHarness, reference: string) {
  const list = await h.request('GET', `/shipments?reference=${reference}`);
  if (list.body.data.length !== 1) throw new Error(`expected one shipment for ${reference}: ${list.text}`);
  return list.body.data[0];
}

eachAdapterSet((set) => {
  const api = perSetImportHarness(test, set);

  test.serial(`${set.name}: the four Zywa files give the right status and timeline for each card`, async (t) => {
    const h = api();
    await parkedSubscriber(h.env.knex, ['shipment.created', 'shipment.status_changed']);
    for (const { file, event } of FILES) {
      const done = await h.importFile(`type=status_feed&event=${event}&timezone=Asia/Dubai`, fixture(file));
      t.notThrows(() => ImportView.parse(done));
      t.is(done.status, 'succeeded', JSON.stringify(done));
      t.is(done.failed_rows, 0);
      t.is(done.rows_processed, done.rows_total);
    }
    for (const [reference, expected] of Object.entries(EXPECTED)) {
      const card = await cardView(h, reference);
      t.is(card.status, expected.status, reference);
      t.deepEqual(card.events.map((e: { raw_status: string }) => e.raw_status), [...expected.timeline], `${reference} timeline, oldest first`);
      t.is(card.source, 'csv');
      t.is(card.shop_id, null);
    }
    // Day-first local times in the feed's zone (UTC+4); the ISO one carries its own.
    const z8890 = await cardView(h, 'ZYW8890');
    t.deepEqual(
      z8890.events.map((e: { occurred_at: string }) => e.occurred_at),
      ['2023-11-11T23:45:00.000Z', '2023-11-13T10:00:00.000Z', '2023-11-14T08:00:00.000Z'],
    );
    t.is(z8890.events[1].description, 'User not available', 'the exception comment is the reason');
    t.is(z8890.events[1].status, 'attempt_fail');
    const z8827 = await cardView(h, 'ZYW8827');
    t.is(z8827.events[1].occurred_at, '2023-11-13T09:34:56.000Z');

    // Support staff look a customer up by phone, written any of the three ways the files use.
    for (const phone of ['534534534', '0534534534', '971534534534', '+971 53 453 4534']) {
      const found = await h.request('GET', `/shipments?phone=${encodeURIComponent(phone)}`);
      t.deepEqual(found.body.data.map((s: { reference: string }) => s.reference), ['ZYW8890'], phone);
      // With the status and the timeline, as the card look-up has them.
      t.is(found.body.data[0].status, 'returned', phone);
      t.deepEqual(found.body.data[0].events.map((e: { raw_status: string }) => e.raw_status), [...EXPECTED.ZYW8890.timeline], phone);
    }

    // Subscribers hear of each new card once, and of its status moves (the outbox).
    const outbox = (await h.env.knex('domain_events').whereIn('type', ['shipment.created', 'shipment.status_changed']).orderBy('id').select('type', 'data')).map(
      (e: { type: string; data: string }) => ({ type: e.type, ...JSON.parse(e.data) }),
    );
    const createdRefs = outbox.filter((e) => e.type === 'shipment.created').map((e) => e.shipment.reference);
    t.deepEqual([...createdRefs].sort(), ['ZYW7631', 'ZYW8827', 'ZYW8890']);
    const z8890Moves = outbox.filter((e) => e.type === 'shipment.status_changed' && e.shipment.reference === 'ZYW8890').map((e) => e.new_status);
    t.deepEqual(z8890Moves, ['attempt_fail', 'returned']);

    // Re-importing a file changes nothing.
    const again = await h.importFile('type=status_feed&event=delivered', fixture('zywa-card-status/delivered.csv'));
    t.like(again, { status: 'succeeded', inserted: 0, unchanged: 2, failed_rows: 0 });
  });

  test.serial(`${set.name}: every one of the 24 orders of the four files gives the same statuses`, async (t) => {
    const h = api();
    const orders = permutations(FILES);
    t.is(orders.length, 24);
    // Each order on its own cards: the references get a per-order suffix, the rest is the real file.
    const uploads: { n: number; content: string; event: string }[] = [];
    for (const [n, order] of orders.entries()) {
      for (const { file, event } of order) {
        const content = fixture(file).toString('utf8').replace(/ZYW(\d{4})/g, `ZYW$1-P${n}`);
        uploads.push({ n, content, event });
      }
    }
    // Orders run side by side (each order's files in sequence), to keep the test short.
    await Promise.all(
      orders.map(async (_order, n) => {
        for (const u of uploads.filter((x) => x.n === n)) {
          const done = await h.importFile(`type=status_feed&event=${u.event}`, u.content);
          if (done.status !== 'succeeded' || done.failed_rows !== 0) throw new Error(JSON.stringify(done));
        }
      }),
    );
    for (const n of orders.keys()) {
      for (const [reference, expected] of Object.entries(EXPECTED)) {
        const list = await h.request('GET', `/shipments?reference=${reference}-P${n}`);
        t.is(list.body.data.length, 1, `${reference}-P${n} is one shipment`);
        t.is(list.body.data[0].status, expected.status, `order ${orders[n]!.map((f) => f.event).join(' → ')}: ${reference}`);
      }
    }
  });

  test(`${set.name}: a status feed row with a bad timestamp or no card id is reported, the rest imports`, async (t) => {
    const h = api();
    const csv = 'ID,Card ID,User Mobile,Timestamp\r\n1,BAD1,585949014,31-11-2023 10:00\r\n2,,585949014,12-11-2023 10:00\r\n3,OK1,585949014,12-11-2023 10:00 PM\r\n4,OK2,585949014,tomorrow';
    const done = await h.importFile('type=status_feed&event=pickup&timezone=Europe/Amsterdam', csv);
    t.like(done, { status: 'succeeded', rows_total: 4, rows_processed: 4, inserted: 1, failed_rows: 3, timezone: 'Europe/Amsterdam' });
    t.deepEqual(
      done.errors.map((e: { line: number; reason: string }) => [e.line, e.reason.split(' ').slice(0, 2).join(' ')]),
      [
        [2, 'timestamp "31-11-2023'],
        [3, 'card id'],
        [5, 'timestamp "tomorrow"'],
      ],
    );
    const ok = await cardView(h, 'OK1');
    t.is(ok.events[0].occurred_at, '2023-11-12T21:00:00.000Z', '10 PM in Amsterdam (UTC+1 in November)');
  });

  test(`${set.name}: status feed uploads need a known event kind and a real time zone`, async (t) => {
    const h = api();
    const file = fixture('zywa-card-status/pickup.csv');
    const noEvent = await h.upload('type=status_feed', file);
    t.is(noEvent.status, 400);
    t.deepEqual(noEvent.body.error.details.map((d: { field: string }) => d.field), ['event']);
    const badZone = await h.upload('type=status_feed&event=pickup&timezone=Mars/Olympus', file);
    t.is(badZone.status, 400);
    t.is(badZone.body.error.details[0].field, 'timezone');
    const badType = await h.upload('type=orders', file);
    t.is(badType.status, 400);
    t.regex(badType.body.error.details[0].reason, /products, shipments, status_feed/);
    const wrongColumns = await h.upload('type=status_feed&event=pickup', 'name,sku,description\r\nA,a-1,x');
    t.is(wrongColumns.status, 422);
    t.is(wrongColumns.body.error.code, 'invalid_file');
    t.regex(wrongColumns.body.error.message, /"reference", "timestamp"/);
  });
});
