import test from 'ava';
import { listRoutes } from '../../api/app.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { perSetHarness } from '../helpers/api.ts';

eachAdapterSet((set) => {
  const api = perSetHarness(test, set);

  test(`${set.name}: /openapi.json documents exactly the routes the API serves, with the bearer scheme`, async (t) => {
    const h = api();
    t.is((await h.request('GET', '/openapi.json', { token: null })).status, 401, 'the document needs the token like every route but /health');
    const answer = await h.request('GET', '/openapi.json');
    t.is(answer.status, 200);
    const doc = answer.body;
    t.is(doc.openapi, '3.0.3');
    t.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer.description });
    t.deepEqual(doc.security, [{ bearer: [] }]);

    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    t.deepEqual([...documented].sort(), [...listRoutes()].sort());

    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (path.includes('{id}')) t.true(op.parameters?.some((p: any) => p.in === 'path' && p.name === 'id' && p.required), `${name} documents its id`);
        if (path === '/health') t.deepEqual(op.security, [], 'health is public');
        else t.truthy(op.responses['401'], `${name} documents 401`);
        t.true(Object.keys(op.responses).some((s) => s.startsWith('2')), `${name} documents its success`);
      }
    }

    const listParams = doc.paths['/shipments'].get.parameters.map((p: any) => p.name).sort();
    t.deepEqual(listParams, ['attention', 'carrier', 'cursor', 'limit', 'phone', 'reference', 'shop_id', 'status', 'tracking_number', 'updated_since']);
    const createShop = doc.components.schemas.CreateShop;
    t.deepEqual([...createShop.required].sort(), ['credentials', 'name', 'platform']);
    t.is(createShop.additionalProperties, false);
    t.deepEqual(doc.components.schemas.Shop.properties.credentials, undefined, 'a shop shows no credentials');
    t.deepEqual(Object.keys(doc.components.schemas.ShipmentDetail.properties).sort(), [
      'carrier', 'carrier_remark', 'created_at', 'distribution_party', 'estimated_delivery', 'events', 'fulfilment_method', 'id', 'items', 'late', 'order_id', 'order_placed_at', 'pickup_point',
      'platform_id', 'promised_delivery_at', 'proof_of_delivery_url', 'receiver', 'reference', 'shipped_at', 'shipping_label_id', 'shop_id', 'source', 'status', 'status_at', 'tracking_number',
      'tracking_url', 'transport_id', 'updated_at', 'weather',
    ]);
    t.deepEqual(doc.paths['/shipments'].get.parameters.find((p: any) => p.name === 'attention').schema.enum, ['late']);
  });
});
