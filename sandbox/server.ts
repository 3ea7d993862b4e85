/**
 * Runs the simulators as a standalone process: `tsx sandbox/server.ts` (or `npm run sandbox`).
 *
 *   SANDBOX_PORT=8080 SANDBOX_SHIPMENTS=500 SANDBOX_SEED=7 SANDBOX_LIST_LIMIT=25/60s \
 *   SANDBOX_DETAIL_LIMIT=50/60s SANDBOX_LATENCY_MS=50 SANDBOX_ERROR_RATE=0.02 \
 *   SANDBOX_TOKEN_LIFETIME_SECONDS=299 tsx sandbox/server.ts
 *
 * Prints the URL to use as BOL_LOGIN_URL and BOL_API_URL and the demo credentials. The DHL and
 * weather simulators start beside it (SANDBOX_DHL_PORT, SANDBOX_DHL_API_KEY, SANDBOX_DHL_PER_SECOND,
 * SANDBOX_DHL_PER_DAY; SANDBOX_WEATHER_PORT, SANDBOX_WEATHER_API_KEY, SANDBOX_WEATHER_MONTHLY_QUOTA,
 * SANDBOX_OPEN_METEO_PER_MINUTE; with SANDBOX_PORT=N and no port of their own they take N+1 and
 * N+2). The DHL simulator knows a timeline for every bol shipment sent with a DHL transporter.
 * The Shopify simulator (sandbox/shopify/README.md) takes N+3 or SANDBOX_SHOPIFY_PORT and the other
 * SANDBOX_SHOPIFY_* variables; it prints SHOPIFY_API_URL and the demo shop's credentials.
 */
import { DEFAULT_LIMITS } from './bol/options.ts';
import { bolOptionsFromEnv } from './env.ts';
import { dhlOptionsFromEnv } from './dhl/index.ts';
import { weatherOptionsFromEnv } from './weather/index.ts';
import { startSandboxes } from './start-all.ts';
import { shopCredentials, shopifyOptionsFromEnv, DEFAULT_SHOP } from './shopify/index.ts';

const options = bolOptionsFromEnv(process.env);
const list = options.limits?.list ?? DEFAULT_LIMITS.list;
const detail = options.limits?.detail ?? DEFAULT_LIMITS.detail;
const basePort = options.port ?? 0;
const dhlOptions = { ...(basePort > 0 ? { port: basePort + 1 } : {}), ...dhlOptionsFromEnv(process.env) };
const weatherOptions = { ...(basePort > 0 ? { port: basePort + 2 } : {}), ...weatherOptionsFromEnv(process.env) };
const shopifyOptions = { ...(basePort > 0 ? { port: basePort + 3 } : {}), ...shopifyOptionsFromEnv(process.env) };
const { bol, dhl, weather, shopify, dhlTracked, close } = await startSandboxes({
  bol: options,
  dhl: dhlOptions,
  weather: weatherOptions,
  shopify: shopifyOptions,
});
const demoShop = shopCredentials(shopifyOptions.demoShop ?? DEFAULT_SHOP);
const dhlKey = dhlOptions.apiKeys?.[0];
process.stdout.write(
  [
    `bol sandbox listening on ${bol.url}`,
    `  BOL_LOGIN_URL=${bol.url}`,
    `  BOL_API_URL=${bol.url}`,
    `  BOL_CLIENT_ID=demo-client`,
    `  BOL_CLIENT_SECRET=demo-secret`,
    `  shipments: ${bol.shipments.length} (seed ${options.seed ?? 1}); list limit ${list.capacity}/${list.windowMs}ms, detail limit ${detail.capacity}/${detail.windowMs}ms`,
    `DHL sandbox listening on ${dhl.url}`,
    `  DHL_API_URL=${dhl.url}`,
    `  DHL_API_KEY=${dhlKey?.key ?? ''}`,
    `  tracked shipments: ${dhlTracked} (the bol shipments and Shopify fulfillments sent with DHL); limits ${dhlKey?.perSecond ?? 1}/s, ${dhlKey?.perDay ?? 250}/day`,
    `weather sandbox listening on ${weather.url}`,
    `  WEATHERAPI_URL=${weather.url}`,
    `  WEATHERAPI_KEY=${weatherOptions.weatherApiKeys?.[0] ?? ''}   (leave unset to use Open-Meteo)`,
    `  OPEN_METEO_URL=${weather.url}`,
    `  OPEN_METEO_GEOCODING_URL=${weather.url}`,
    `Shopify sandbox listening on ${shopify.url}`,
    `  SHOPIFY_API_URL=${shopify.apiUrlTemplate}`,
    `  shop_domain=${demoShop.shopDomain}: ${shopify.shopOrders(demoShop.shop).length} orders, ${shopify.expectedFulfillments(demoShop.shop).length} fulfillments`,
    `  client_id=${demoShop.clientId}  client_secret=${demoShop.clientSecret}   (client credentials grant)`,
    `  access_token=${demoShop.staticAccessToken}   (static custom-app token)`,
    `  access_token=${demoShop.offlineAccessToken}  refresh_token=${demoShop.refreshToken}   (expiring offline tokens)`,
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`${signal}: stopping bol, DHL, weather and Shopify sandboxes\n`);
  await close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
