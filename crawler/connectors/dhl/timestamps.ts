import { zonedWallTimeToUtc } from '../../../lib/zoned-time.ts';

/**
 * DHL timestamps (contract dhl-tracking.md: "Timestamps may lack an offset (local time of the
 * event's location)"). With an offset (or `Z`) a timestamp is exact. Without one it is read as
 * the wall-clock time of the event's country when that country has a single time zone, and as
 * UTC otherwise (no country given, or a country spanning several zones such as US, CA, AU, RU,
 * BR, MX): a guess within a few hours beats dropping the event, and the same text always gives
 * the same instant, so the same observation always dedupes to the same record.
 */

/** Countries with one time zone (or one that nearly all parcels see), as IANA zone ids. */
const COUNTRY_ZONES: Readonly<Record<string, string>> = {
  NL: 'Europe/Amsterdam', BE: 'Europe/Brussels', LU: 'Europe/Luxembourg', DE: 'Europe/Berlin',
  FR: 'Europe/Paris', GB: 'Europe/London', IE: 'Europe/Dublin', AT: 'Europe/Vienna',
  CH: 'Europe/Zurich', LI: 'Europe/Vaduz', IT: 'Europe/Rome', ES: 'Europe/Madrid',
  PT: 'Europe/Lisbon', DK: 'Europe/Copenhagen', SE: 'Europe/Stockholm', NO: 'Europe/Oslo',
  FI: 'Europe/Helsinki', PL: 'Europe/Warsaw', CZ: 'Europe/Prague', SK: 'Europe/Bratislava',
  HU: 'Europe/Budapest', SI: 'Europe/Ljubljana', HR: 'Europe/Zagreb', RO: 'Europe/Bucharest',
  BG: 'Europe/Sofia', GR: 'Europe/Athens', EE: 'Europe/Tallinn', LV: 'Europe/Riga',
  LT: 'Europe/Vilnius', MT: 'Europe/Malta', CY: 'Asia/Nicosia', TR: 'Europe/Istanbul',
  IL: 'Asia/Jerusalem', AE: 'Asia/Dubai', IN: 'Asia/Kolkata', CN: 'Asia/Shanghai',
  HK: 'Asia/Hong_Kong', JP: 'Asia/Tokyo', KR: 'Asia/Seoul', SG: 'Asia/Singapore',
  ZA: 'Africa/Johannesburg', NZ: 'Pacific/Auckland',
};

/** The IANA zone used for offset-less timestamps of events in `countryCode`, or null (→ UTC). */
export function zoneOfCountry(countryCode: string | null | undefined): string | null {
  return (countryCode && COUNTRY_ZONES[countryCode.trim().toUpperCase()]) || null;
}

/**
 * Every form DHL's schema (`SupportingTimestamp`: a date-time or a date) and its examples use:
 * a date alone, a time with or without seconds and fractions, `T` or a space, and an offset of
 * `Z`, `+02:00`, `+0200`, `+02` or with a one-digit hour, `+2:00` (the 1.5.8 document's own note:
 * `2017-06-21T14:07:17+2:00`), or none.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:(Z)|([+-])(\d{1,2})(?::?(\d{2}))?)?$/i;

/** Epoch ms of a DHL timestamp, or null when it cannot be read. */
export function parseDhlTimestamp(value: string, countryCode?: string | null): number | null {
  const m = TIMESTAMP.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zulu, sign, offsetHours, offsetMinutes = '0'] = m;
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  const check = new Date(wallMs);
  // Date.UTC rolls 2024-02-30 over to March: a real date comes back unchanged.
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  if (zulu) return wallMs;
  if (sign) {
    const minutes = Number(offsetHours) * 60 + Number(offsetMinutes);
    if (Number(offsetHours) > 14 || Number(offsetMinutes) > 59) return null;
    return wallMs - (sign === '-' ? -minutes : minutes) * 60_000;
  }
  const zone = zoneOfCountry(countryCode);
  return zone ? zonedWallTimeToUtc(wallMs, zone) : wallMs;
}
