import { startBolSandbox, type BolSandbox, type BolSandboxOptions } from './bol/index.ts';
import { DEFAULT_DHL_API_KEY, startDhlSandbox, type DhlSandbox, type DhlSandboxOptions } from './dhl/index.ts';
import { startWeatherSandbox } from './weather/index.ts';
import { startShopifySandbox, type ShopifySandbox, type ShopifySandboxOptions } from './shopify/index.ts';

export interface Sandboxes {
  bol: BolSandbox;
  dhl: DhlSandbox;
  weather: Awaited<ReturnType<typeof startWeatherSandbox>>;
  shopify: ShopifySandbox;
  /** How many bol shipments and Shopify fulfillments the DHL simulator can track (those sent with DHL). */
  dhlTracked: number;
  /** The environment that points shipsync at these simulators instead of the real providers. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * The bol, DHL, weather and Shopify simulators side by side, as the standalone sandbox process and
 * the demo run them. The DHL simulator knows a timeline for every bol shipment and every Shopify
 * fulfillment sent with DHL, so shipments synced from either platform can be tracked.
 */
export async function startSandboxes(opts: {
  bol?: BolSandboxOptions;
  dhl?: DhlSandboxOptions;
  weather?: Parameters<typeof startWeatherSandbox>[0];
  shopify?: ShopifySandboxOptions;
}): Promise<Sandboxes> {
  const bol = await startBolSandbox(opts.bol);
  const dhl = await startDhlSandbox(opts.dhl);
  let dhlTracked = 0;
  /** Gives the DHL simulator a timeline for a shipment its platform says DHL carries. */
  const trackWithDhl = (carrier: string | null | undefined, trackingNumber: string | null | undefined, shippedAtMs: number) => {
    if (!trackingNumber || !carrier || !/^DHL/i.test(carrier)) return;
    dhl.generateShipment(trackingNumber, shippedAtMs);
    dhlTracked += 1;
  };
  for (const s of bol.shipments) trackWithDhl(s.detail.transport.transporterCode, s.detail.transport.trackAndTrace, s.shippedAtMs);
  const weather = await startWeatherSandbox(opts.weather);
  const shopify = await startShopifySandbox(opts.shopify);
  for (const shop of shopify.shops()) {
    for (const f of shopify.expectedFulfillments(shop)) trackWithDhl(f.company, f.number, f.createdAtMs);
  }
  const dhlKey = opts.dhl?.apiKeys?.[0]?.key ?? DEFAULT_DHL_API_KEY;
  return {
    bol,
    dhl,
    weather,
    shopify,
    dhlTracked,
    env: {
      BOL_LOGIN_URL: bol.url,
      BOL_API_URL: bol.url,
      DHL_API_URL: dhl.url,
      DHL_API_KEY: dhlKey,
      // No WEATHERAPI_KEY: Open-Meteo serves, geocoding included, both from the simulator.
      OPEN_METEO_URL: weather.url,
      OPEN_METEO_GEOCODING_URL: weather.url,
      SHOPIFY_API_URL: shopify.apiUrlTemplate,
    },
    async close() {
      await Promise.all([bol.close(), dhl.close(), weather.close(), shopify.close()]);
    },
  };
}
