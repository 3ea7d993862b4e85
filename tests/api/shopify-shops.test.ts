import test from 'ava';
import { loadShopCredentialsAndToken, loadShopToken } from '../../models/shop-credentials.ts';
import { startShopifySandbox } from '../../sandbox/shopify/index.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { startApi } from '../helpers/api.ts';
import { credentialsOf, uniqueShop, type CredentialForm } from '../crawler/shopify-harness.ts';

/** Connecting a Shopify shop through POST /shops: each of the three credential forms, bad domains, refusals. */

eachAdapterSet((set) => {
  test.serial(`${set.name}: POST /shops connects a Shopify shop with each of the three credential forms, proven with Shopify first`, async (t) => {
    const sandbox = await startShopifySandbox({ orders: 0 });
    const api = await startApi(set, { platformEnv: { SHOPIFY_API_URL: sandbox.apiUrlTemplate } });
    t.teardown(async () => {
      await api.close();
      await sandbox.close();
    });
    for (const form of ['client_credentials', 'access_token', 'refresh_token'] as CredentialForm[]) {
      const sub = uniqueShop();
      const c = sandbox.addShop({ shop: sub, orders: 1 });
      const credentials = credentialsOf(c, form);
      // As people paste it: the shop's address, in any case.
      const answer = await api.request('POST', '/shops', { body: { name: `Shop ${form}`, platform: 'shopify', credentials: { ...credentials, shop_domain: `https://${c.shopDomain.toUpperCase()}/` } } });
      t.is(answer.status, 201, `${form}: ${answer.text}`);
      t.like(answer.body, { platform: 'shopify', status: 'active', has_credentials: true });
      t.false(answer.text.includes(c.clientSecret) || answer.text.includes(c.staticAccessToken), 'secrets are write-only');
      const saved = (await loadShopCredentialsAndToken(api.env.knex, api.secretBox, answer.body.id))?.credentials;
      t.is(saved?.shop_domain, c.shopDomain, 'stored as the bare domain');
      const token = await loadShopToken(api.env.knex, api.secretBox, answer.body.id);
      if (form === 'access_token') t.is(token, null, 'a custom-app token needs no other');
      else t.truthy(token?.accessToken, `${form}: the token Shopify handed out is kept`);
      if (form === 'refresh_token') t.truthy(token?.refreshToken, 'with its new refresh token');
    }
    const tokens = Object.values(sandbox.stats()).reduce((n, s) => n + s.tokens.grants + s.tokens.refreshes, 0);
    t.is(tokens, 2, 'one grant and one refresh');
  });

  test.serial(`${set.name}: POST /shops for Shopify answers 400 naming a bad shop domain or a missing field, and 422 with Shopify's reason when it refuses`, async (t) => {
    const sandbox = await startShopifySandbox({ orders: 0 });
    const api = await startApi(set, { platformEnv: { SHOPIFY_API_URL: sandbox.apiUrlTemplate } });
    t.teardown(async () => {
      await api.close();
      await sandbox.close();
    });
    const c = sandbox.addShop({ shop: uniqueShop(), orders: 1 });
    const post = (credentials: Record<string, string>) => api.request('POST', '/shops', { body: { name: 'S', platform: 'shopify', credentials } });
    const fields = (a: { body: any }) => (a.body.error.details as { field: string }[]).map((d) => d.field).sort();

    const custom = await post({ shop_domain: 'shop.example.com', access_token: c.staticAccessToken });
    t.is(custom.status, 400);
    t.deepEqual(fields(custom), ['credentials.shop_domain']);
    t.regex(custom.text, /myshopify\.com/);
    const halfClient = await post({ shop_domain: c.shopDomain, client_id: c.clientId });
    t.is(halfClient.status, 400);
    t.deepEqual(fields(halfClient), ['credentials.client_secret']);
    const halfOffline = await post({ shop_domain: c.shopDomain, client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken });
    t.deepEqual(fields(halfOffline), ['credentials.access_token']);

    const wrong: Record<string, string>[] = [
      { shop_domain: c.shopDomain, client_id: c.clientId, client_secret: 'shpss_wrong' },
      { shop_domain: c.shopDomain, access_token: 'shpat_wrong' },
      { shop_domain: c.shopDomain, client_id: c.clientId, client_secret: c.clientSecret, access_token: c.offlineAccessToken, refresh_token: 'shprt_wrong' },
    ];
    for (const credentials of wrong) {
      const refused = await post(credentials);
      t.is(refused.status, 422, refused.text);
      t.is(refused.body.error.code, 'credentials_refused');
      t.truthy(refused.body.error.details.provider_error, 'with Shopify’s reason');
    }
    t.is((await api.request('GET', '/shops')).body.data.length, 0, 'nothing refused was stored');
  });
});
