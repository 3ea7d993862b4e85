import test from 'ava';
import { phoneKey } from '../../models/phone-key.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { createShop, perSetHarness } from '../helpers/api.ts';

/**
 * Support staff search by the number the customer tells them, written their way; the crawler
 * stored the number the platform sent, written its way. Both sides must reduce it to the same
 * phone_key, with the one rule of models/phone-key.ts.
 */
eachAdapterSet((set) => {
  const api = perSetHarness(test, set);

  test(`${set.name}: a shipment is found by its receiver phone however either side wrote it`, async (t) => {
    const h = api();
    const shop = await createShop(h);
    const stored = ['+31 (0)6-98 76 54 32', '0032 470 12 34 56', '06 11 22 33 44'];
    const ids: number[] = [];
    for (const [i, phone] of stored.entries()) {
      const now = Date.now();
      const [id] = await h.env.knex('shipments').insert({
        shop_id: shop.id, source: 'bol', platform_id: `PH${i}`, status: 'pending', receiver_phone: phone, phone_key: phoneKey(phone), created_at: now, updated_at: now,
      });
      ids.push(Number(id));
    }
    const searches: [string, number][] = [
      ['0698765432', ids[0]!],
      ['+31698765432', ids[0]!],
      ['0031 6 98765432', ids[0]!],
      ['+32470123456', ids[1]!],
      ['0470/12.34.56', ids[1]!],
      ['+31 6 1122 3344', ids[2]!],
    ];
    for (const [phone, id] of searches) {
      const answer = await h.request('GET', `/shipments?${new URLSearchParams({ phone, shop_id: String(shop.id) })}`);
      t.is(answer.status, 200, phone);
      t.deepEqual(answer.body.data.map((s: { id: number }) => s.id), [id], phone);
    }
    const detail = await h.request('GET', `/shipments/${ids[0]}`);
    t.is(detail.body.receiver.phone, stored[0], 'the detail shows the number as stored');
  });
});
