import test from 'ava';
import { authOf, shopBaseUrl, shopifyCredentials } from '../../crawler/connectors/shopify/credentials.ts';
import { requestShopifyToken, ShopifyTokens } from '../../crawler/connectors/shopify/token.ts';
import type { TokenStore } from '../../crawler/connectors/types.ts';
import { claimTokenRefresh, releaseTokenRefresh, loadShopToken, replaceShopToken, saveShopToken } from '../../models/shop-credentials.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';
import { credentialsOf, setupShopifyCrawl, uniqueShop } from './shopify-harness.ts';

/**
 * Expiring offline tokens whose refresh token Shopify replaces on every refresh: workers share
 * the shop's stored pair through the database, exactly one of them refreshes it, and nobody
 * sends a token before its pair is stored.
 */

eachAdapterSet((set) => {
  test.serial(`${set.name}: two workers refreshing a rotating token at once make one refresh and both keep a working token`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub, credentials } = await h.addShop({ shop: uniqueShop(), orders: 5, auth: { offlineAccessTokenLifetimeSeconds: 3_600 } }, 'refresh_token');
    const store: TokenStore = {
      load: () => loadShopToken(h.env.knex, h.secretBox, shop.id),
      save: (tok) => saveShopToken(h.env.knex, h.secretBox, shop.id, tok),
      claimRefresh: (seen, forMs) => claimTokenRefresh(h.env.knex, shop.id, seen, forMs),
      releaseRefresh: (seen) => releaseTokenRefresh(h.env.knex, shop.id, seen),
      replace: (seen, next) => replaceShopToken(h.env.knex, h.secretBox, shop.id, seen, next),
    };
    // The stored pair is due for its refresh: within its margin.
    await saveShopToken(h.env.knex, h.secretBox, shop.id, { accessToken: credentials.offlineAccessToken, refreshToken: credentials.refreshToken, issuedAt: Date.now() - 3_590_000, expiresAt: Date.now() + 10_000 });
    const base = shopBaseUrl({ apiUrl: h.sandbox.apiUrlTemplate }, credentials.shopDomain);
    const auth = authOf(shopifyCredentials.parse(credentialsOf(credentials, 'refresh_token')));
    const one = new ShopifyTokens(base, auth, store, () => {});
    const two = new ShopifyTokens(base, auth, store, () => {});

    const [a, b] = await Promise.all([one.current(), two.current()]);
    t.is(a, b, 'the loser uses the winner’s token');
    t.not(a, credentials.offlineAccessToken);
    t.is(h.sandbox.stats()[sub]!.tokens.refreshes, 1, 'one refresh');
    const stored = await store.load();
    t.is(stored?.accessToken, a, 'the pair was stored before it was used');
    t.not(stored?.refreshToken, credentials.refreshToken, 'with its new refresh token');
    t.is(await shopName(base, a), 200, 'the token works');

    // The next refresh uses the new refresh token: the rotation goes on.
    await saveShopToken(h.env.knex, h.secretBox, shop.id, { ...stored!, issuedAt: Date.now() - 3_590_000, expiresAt: Date.now() + 10_000 });
    const third = await new ShopifyTokens(base, auth, store, () => {}).current();
    t.not(third, a);
    t.is(await shopName(base, third), 200);
  });

  test.serial(`${set.name}: a refresh whose answer was never stored is recovered with the stored refresh token`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub, credentials } = await h.addShop({ shop: uniqueShop(), orders: 5 }, 'refresh_token');
    const store: TokenStore = {
      load: () => loadShopToken(h.env.knex, h.secretBox, shop.id),
      save: (tok) => saveShopToken(h.env.knex, h.secretBox, shop.id, tok),
      claimRefresh: (seen, forMs) => claimTokenRefresh(h.env.knex, shop.id, seen, forMs),
      releaseRefresh: (seen) => releaseTokenRefresh(h.env.knex, shop.id, seen),
      replace: (seen, next) => replaceShopToken(h.env.knex, h.secretBox, shop.id, seen, next),
    };
    await saveShopToken(h.env.knex, h.secretBox, shop.id, { accessToken: credentials.offlineAccessToken, refreshToken: credentials.refreshToken, issuedAt: Date.now() - 3_600_000, expiresAt: Date.now() - 1 });
    const base = shopBaseUrl({ apiUrl: h.sandbox.apiUrlTemplate }, credentials.shopDomain);
    // A worker got Shopify's answer and died before storing it.
    await requestShopifyToken(base, credentials, { grant_type: 'refresh_token', refresh_token: credentials.refreshToken });
    const auth = authOf(shopifyCredentials.parse(credentialsOf(credentials, 'refresh_token')));
    const token = await new ShopifyTokens(base, auth, store, () => {}).current();
    t.is(h.sandbox.stats()[sub]!.tokens.refreshes, 2);
    t.is(await shopName(base, token), 200, 'the next worker refreshed with the stored refresh token and works');
  });

  test.serial(`${set.name}: a sync with rotating tokens that expire mid-crawl ends with every fulfillment, the token refreshed and no refresh refused`, async (t) => {
    const h = await setupShopifyCrawl(t, set);
    const { shop, sub } = await h.addShop({ shop: uniqueShop(), orders: 60, seed: 8, restoreRate: 100, bucketSize: 1_000, auth: { offlineAccessTokenLifetimeSeconds: 3 } }, 'refresh_token');
    await h.startWorker({ initialSync: 'paging' });
    await h.startWorker({ initialSync: 'paging' });
    const done = await h.waitForRun((await h.startSync(shop.id, 'initial')).id);
    t.is(done.status, 'succeeded', done.error ?? '');
    t.deepEqual(await h.storedPlatformIds(shop.id), h.sandbox.expectedFulfillments(sub).map((f) => f.id).sort());
    const stats = h.sandbox.stats()[sub]!;
    t.true(stats.tokens.refreshes >= 1, 'the token was refreshed');
    t.is(stats.tokens.refused, 0, 'no refresh token was refused');
  });
});

async function shopName(base: string, token: string): Promise<number> {
  const res = await fetch(`${base}/admin/api/2026-10/graphql.json`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-shopify-access-token': token }, body: JSON.stringify({ query: '{ shop { name } }' }) });
  await res.text();
  return res.status;
}
