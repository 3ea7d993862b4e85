import { z } from 'zod';
import { carrierCodesTrackedBy } from '../../../models/carriers.ts';
import type { CarrierConnector } from '../carrier-connector.ts';
import { createDhlClient } from './client.ts';
import { DHL_DOCUMENTED_LIMITS } from './limits.ts';

/** The DHL connector's settings: the deployment's key for Shipment Tracking – Unified and its limits. */
export interface DhlSettings {
  apiUrl: string;
  apiKey: string | undefined;
  /** The key's limits (its service level): they hold across every worker. */
  callsPerSecond: number;
  callsPerDay: number;
}

const httpUrl = z
  .string()
  .url('must be a URL')
  .refine((v) => ['http:', 'https:'].includes(new URL(v).protocol), 'must start with http:// or https://');

/** The environment variables of the DHL connector (shared/PRODUCT.md, "Fixed interface"). */
export const dhlEnvSchema = z.object({
  DHL_API_URL: httpUrl.default('https://api-eu.dhl.com'),
  DHL_API_KEY: z.string().optional(),
  DHL_CALLS_PER_SECOND: z.coerce.number().positive().max(1000).default(DHL_DOCUMENTED_LIMITS.perSecond),
  DHL_CALLS_PER_DAY: z.coerce.number().int().positive().default(DHL_DOCUMENTED_LIMITS.perDay),
});

export function dhlSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): DhlSettings {
  const e = dhlEnvSchema.parse(env);
  return { apiUrl: e.DHL_API_URL, apiKey: e.DHL_API_KEY, callsPerSecond: e.DHL_CALLS_PER_SECOND, callsPerDay: e.DHL_CALLS_PER_DAY };
}

/** DHL Shipment Tracking – Unified (shared contract: dhl-tracking.md) as a carrier connector. */
export const dhlConnector: CarrierConnector<DhlSettings> = {
  name: 'dhl',
  carrierCodes: carrierCodesTrackedBy('dhl'),
  settingsFromEnv: dhlSettingsFromEnv,
  isConfigured: (settings) => Boolean(settings.apiKey),
  limitsOf: (settings) => ({ callsPerSecond: settings.callsPerSecond, callsPerDay: settings.callsPerDay }),
  // DHL asks for at most 10 fetches per shipment per day, spread evenly; a fresh label is
  // unknown to it for 10–30 minutes, so a 404 is final only for a shipment a day old.
  shipmentPolls: { maxPerDay: DHL_DOCUMENTED_LIMITS.maxFetchesPerShipmentPerDay, notFoundGraceMs: 86_400_000 },
  open(settings, opts) {
    const client = createDhlClient({ ...opts, apiUrl: settings.apiUrl, apiKey: settings.apiKey ?? '' });
    return {
      poll: ({ trackingNumber, recipientPostalCode }) => client.track(trackingNumber, recipientPostalCode ? { recipientPostalCode } : {}),
    };
  },
};
