import type { Knex } from 'knex';

/**
 * Carrier names and codes. Sources name carriers their own way: bol by transporter code (`TNT`
 * is PostNL, `DHLFORYOU` is DHL), files by name (`PostNL`, `DHL`). A look-up by `carrier`
 * matches a stored carrier when the value is its code or its name, case-insensitively and
 * ignoring spaces, dashes, underscores and dots: `carrier=tnt` finds `TNT`, `carrier=postnl`
 * finds `TNT` and `PostNL`, `carrier=dhl` finds `DHL`, `DHLFORYOU` and `DHL_DE`.
 *
 * The names of bol's transporter codes (contract bol-retailer-v10.md, source S8).
 */
const CARRIER_NAMES: Readonly<Record<string, string>> = {
  TNT: 'PostNL',
  TNTEXTRA: 'PostNL',
  TNTBRIEF: 'PostNL',
  TNTEXPRESS: 'TNT Express',
  POSTNL: 'PostNL',
  DHL: 'DHL',
  DHLFORYOU: 'DHL',
  DHLDE: 'DHL',
  DHLGLOBALMAIL: 'DHL',
  DHLSD: 'DHL',
  DHLEXPRESS: 'DHL',
  DHLPARCEL: 'DHL',
  DPDNL: 'DPD',
  DPDBE: 'DPD',
  DPD: 'DPD',
  BPOSTBE: 'bpost',
  BPOSTBRIEF: 'bpost',
  BPOST: 'bpost',
  GLS: 'GLS',
  UPS: 'UPS',
  FEDEXNL: 'FedEx',
  FEDEXBE: 'FedEx',
  FEDEX: 'FedEx',
  TRANSMISSION: 'Transmission',
  PACKS: 'Packs',
  COURIER: 'Courier',
  BUDBEE: 'Budbee',
  TRUNKRS: 'Trunkrs',
};

export function carrierKey(value: string): string {
  return value.toUpperCase().replace(/[\s._-]+/g, '');
}

/** The carrier's name for a stored code (`TNT` → `PostNL`), or null when we do not know it. */
export function carrierNameOf(code: string): string | null {
  return CARRIER_NAMES[carrierKey(code)] ?? null;
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
