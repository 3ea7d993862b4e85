import type { Knex } from 'knex';

/**
 * The carrier table: every carrier shipsync knows, its code, its name, the other codes sources
 * give it, and which carrier connector (crawler/connectors/carriers.ts) tracks it. Sources name
 * carriers their own way: bol by transporter code (`TNT` is PostNL, `DHLFORYOU` is DHL Parcel
 * NL, contract bol-retailer-v10.md §5, source S8), CSV feeds by free text (`PostNL`, `DHL`,
 * `DHL Express`). Codes are compared by their key (`carrierKey`: upper case, without spaces,
 * dashes, underscores and dots), so `DHL_DE`, `dhl-de` and `DHL DE` are one code.
 *
 * Used by the look-up's `carrier=` filter (by code or name), by the tracking planner (which
 * shipments a connector polls) and so by every shipment a sync or CSV import stores.
 */
export interface Carrier {
  /** The carrier's own code, as a key. */
  code: string;
  /** The name a person uses; a look-up by it finds every code of the carrier. */
  name: string;
  /** Other codes sources give the carrier, as keys. */
  aliases: readonly string[];
  /**
   * The name of the carrier connector that tracks its shipments, or null: a carrier without one
   * is not polled and keeps the status its source gives. An explicit list of DHL codes rather
   * than "starts with DHL": a code we do not know is better left unpolled than sent to the
   * wrong API.
   */
  trackedBy: string | null;
}

export const CARRIERS: readonly Carrier[] = [
  // Shopify's trackingInfo.company spells carriers by name (`PostNL`, `DHL Express`, `DHL eCommerce`,
  // `DHL Parcel`, `DPD`, `UPS`, `GLS`, `bpost`): their keys are codes or aliases below.
  { code: 'POSTNL', name: 'PostNL', aliases: ['TNT', 'TNTEXTRA', 'TNTBRIEF', 'POSTNLINTERNATIONAL'], trackedBy: null },
  { code: 'TNTEXPRESS', name: 'TNT Express', aliases: [], trackedBy: null },
  {
    code: 'DHL', // bol BE transporter code; CSV "DHL" / "dhl"
    name: 'DHL',
    aliases: [
      'DHLFORYOU', // bol: DHL Parcel NL ("DHL For You")
      'DHLDE', // bol: DHL_DE (DHL Paket Germany)
      'DHLGLOBALMAIL', // bol: DHL-GLOBAL-MAIL (DHL eCommerce)
      'DHLSD', // bol: DHL-SD (same day)
      'DHLEXPRESS',
      'DHLPAKET',
      'DHLPARCEL',
      'DHLPARCELNL',
      'DHLECOMMERCE',
    ],
    trackedBy: 'dhl',
  },
  { code: 'DPD', name: 'DPD', aliases: ['DPDNL', 'DPDBE', 'DPDDE', 'DPDLOCAL'], trackedBy: null },
  { code: 'BPOST', name: 'bpost', aliases: ['BPOSTBE', 'BPOSTBRIEF', 'BPOSTINTERNATIONAL'], trackedBy: null },
  { code: 'GLS', name: 'GLS', aliases: [], trackedBy: null },
  { code: 'UPS', name: 'UPS', aliases: [], trackedBy: null },
  { code: 'FEDEX', name: 'FedEx', aliases: ['FEDEXNL', 'FEDEXBE'], trackedBy: null },
  { code: 'TRANSMISSION', name: 'Transmission', aliases: [], trackedBy: null },
  { code: 'PACKS', name: 'Packs', aliases: [], trackedBy: null },
  { code: 'COURIER', name: 'Courier', aliases: [], trackedBy: null },
  { code: 'BUDBEE', name: 'Budbee', aliases: [], trackedBy: null },
  { code: 'TRUNKRS', name: 'Trunkrs', aliases: [], trackedBy: null },
];

const CARRIER_BY_KEY: ReadonlyMap<string, Carrier> = new Map(CARRIERS.flatMap((c) => [c.code, ...c.aliases].map((key) => [key, c] as const)));

export function carrierKey(value: string): string {
  return value.toUpperCase().replace(/[\s._-]+/g, '');
}

/** The carrier a code stands for (as any source spells it), or undefined when we do not know it. */
export function findCarrier(code: string | null): Carrier | undefined {
  return code ? CARRIER_BY_KEY.get(carrierKey(code)) : undefined;
}

/** The carrier's name for a stored code (`TNT` → `PostNL`), or null when we do not know it. */
export function carrierNameOf(code: string): string | null {
  return findCarrier(code)?.name ?? null;
}

/** The name of the connector that tracks carrier `code` (as any source spells it), or null. */
export function trackingConnectorOf(code: string | null): string | null {
  return findCarrier(code)?.trackedBy ?? null;
}

/** Every code (as a key) of the carriers connector `connectorName` tracks. */
export function carrierCodesTrackedBy(connectorName: string): string[] {
  return CARRIERS.filter((c) => c.trackedBy === connectorName).flatMap((c) => [c.code, ...c.aliases]);
}

/** Which of the stored carrier codes `query` means: by code or by name. */
export function matchCarrierCodes(query: string, knownCodes: Iterable<string>): string[] {
  const q = carrierKey(query);
  const out: string[] = [];
  for (const code of knownCodes) {
    const name = carrierNameOf(code);
    if (carrierKey(code) === q || (name !== null && carrierKey(name) === q)) out.push(code);
  }
  return out;
}

const KNOWN_CODES_TTL_MS = 60_000;
const knownCodesCache = new WeakMap<Knex, { at: number; codes: Promise<string[]> }>();

/**
 * The distinct carrier codes stored, read from the `(carrier, id)` index (MariaDB reads one
 * entry per code) and kept for a minute per database handle.
 */
export function knownCarrierCodes(knex: Knex): Promise<string[]> {
  const cached = knownCodesCache.get(knex);
  if (cached && Date.now() - cached.at < KNOWN_CODES_TTL_MS) return cached.codes;
  const codes = knex('shipments')
    .distinct('carrier')
    .whereNotNull('carrier')
    .then((rows: { carrier: string }[]) => rows.map((r) => r.carrier));
  codes.catch(() => knownCodesCache.delete(knex));
  knownCodesCache.set(knex, { at: Date.now(), codes });
  return codes;
}

/**
 * The stored codes a `carrier` filter stands for. With no match, the value itself: a carrier
 * stored in the last minute (not yet in the cached list) is still found by its exact code.
 */
export async function carrierCodesFor(knex: Knex, query: string): Promise<string[]> {
  const matched = matchCarrierCodes(query, await knownCarrierCodes(knex));
  return matched.length > 0 ? matched : [query];
}
