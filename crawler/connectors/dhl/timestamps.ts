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

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch ms of a DHL timestamp, or null when it cannot be read. */
export function parseDhlTimestamp(value: string, countryCode?: string | null): number | null {
  const m = TIMESTAMP.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset] = m;
  const wallMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  if (Number.isNaN(wallMs)) return null;
  if (offset) return wallMs - offsetOfDesignator(offset) * 60_000;
  const zone = zoneOfCountry(countryCode);
  return zone ? wallToUtc(wallMs, zone) : wallMs;
}

function offsetOfDesignator(designator: string): number {
  if (designator.toUpperCase() === 'Z') return 0;
  const sign = designator.startsWith('-') ? -1 : 1;
  const digits = designator.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minutes east of UTC in `zone` at instant `utcMs`. */
function zoneOffsetMinutes(zone: string, utcMs: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(utcMs)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/**
 * The instant at which clocks in `zone` show `wallMs` (a wall-clock time written as if UTC).
 * Two passes settle the offset across a DST change; a wall time that does not exist (the
 * spring-forward hour) lands an hour off, one that exists twice resolves to its later occurrence.
 */
function wallToUtc(wallMs: number, zone: string): number {
  const first = wallMs - zoneOffsetMinutes(zone, wallMs) * 60_000;
  return wallMs - zoneOffsetMinutes(zone, first) * 60_000;
}
