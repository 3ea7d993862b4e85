/**
 * Which carrier connector, if any, tracks a shipment. Every source names carriers its own way:
 * bol by transporter code (`DHLFORYOU`, `DHL_DE`, …, contract bol-retailer-v10.md §5), CSV feeds
 * by free text (`DHL`, `dhl`, `DHL Express`). A carrier that resolves to null has no connector:
 * its shipments are not polled and keep the status their source gives.
 */

export type CarrierConnector = 'dhl';

/**
 * Spellings compared case-insensitively with spaces, dashes, underscores and dots removed, so
 * `DHL_DE`, `dhl-de` and `DHL DE` are one carrier. An explicit list rather than "starts with DHL":
 * a name we do not know is better left unpolled than sent to the wrong API.
 */
const DHL_NAMES: ReadonlySet<string> = new Set([
  'DHL', // bol BE transporter code; CSV "DHL" / "dhl"
  'DHLFORYOU', // bol: DHL Parcel NL ("DHL For You")
  'DHLDE', // bol: DHL_DE (DHL Paket Germany)
  'DHLGLOBALMAIL', // bol: DHL-GLOBAL-MAIL (DHL eCommerce)
  'DHLSD', // bol: DHL-SD (same day)
  'DHLEXPRESS',
  'DHLPAKET',
  'DHLPARCEL',
  'DHLPARCELNL',
  'DHLECOMMERCE',
]);

function canonicalName(code: string): string {
  return code.toUpperCase().replace(/[\s._-]+/g, '');
}

/** The connector that tracks shipments of carrier `code` (as any source spells it), or null. */
export function resolveCarrier(code: string | null): CarrierConnector | null {
  if (!code) return null;
  return DHL_NAMES.has(canonicalName(code)) ? 'dhl' : null;
}
