/**
 * Free-text addresses of shipment lists (parcelLab: `"Street 10, 75001 Paris, France"`) split
 * into street, postal code, city and ISO 3166-1 alpha-2 country, so receiver locations can be
 * looked up (weather) and filtered.
 *
 * Country names are recognised in English, German, French, Dutch and Spanish (from the runtime's
 * ICU data, every region it knows), plus alpha-2 and a few common alpha-3 codes and nicknames.
 * Postal codes: 4 to 6 digits (optionally `D-` style prefixed), Dutch `1016 AB`, or a code after
 * the city (`London SW1A 1AA`).
 */
export interface ParsedAddress {
  street: string | null;
  postalCode: string | null;
  city: string | null;
  /** ISO 3166-1 alpha-2, or null when no part names a country we know. */
  country: string | null;
}

const EXTRA_NAMES: Record<string, string> = {
  uk: 'GB',
  'great britain': 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  usa: 'US',
  'u.s.a.': 'US',
  'u.s.': 'US',
  america: 'US',
  holland: 'NL',
  'the netherlands': 'NL',
  deu: 'DE',
  fra: 'FR',
  nld: 'NL',
  bel: 'BE',
  esp: 'ES',
  dnk: 'DK',
  aut: 'AT',
  che: 'CH',
  ita: 'IT',
  pol: 'PL',
  gbr: 'GB',
  are: 'AE',
  uae: 'AE',
};

/** Codes ICU still names that are not countries today (East Germany, the USSR, the EU, ...). */
const NOT_COUNTRIES = new Set(['DD', 'FX', 'SU', 'YU', 'CS', 'ZR', 'TP', 'BU', 'NT', 'QO', 'QU', 'UK', 'EU', 'EZ', 'UN', 'XA', 'XB', 'AN', 'ZZ']);

let countryIndex: Map<string, string> | undefined;

function foldName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9. ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function countries(): Map<string, string> {
  if (countryIndex) return countryIndex;
  const index = new Map<string, string>();
  const languages = ['en', 'de', 'fr', 'nl', 'es'];
  const namers = languages.map((l) => new Intl.DisplayNames([l], { type: 'region', fallback: 'none' }));
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (NOT_COUNTRIES.has(code)) continue;
      for (const namer of namers) {
        let name: string | undefined;
        try {
          name = namer.of(code);
        } catch {
          name = undefined;
        }
        if (!name || name === code) continue;
        const folded = foldName(name);
        if (!index.has(folded)) index.set(folded, code);
      }
    }
  }
  for (const [name, code] of Object.entries(EXTRA_NAMES)) index.set(foldName(name), code);
  countryIndex = index;
  return index;
}

/** `Germany`, `Deutschland`, `DE`, `the Netherlands` → ISO alpha-2; null when unknown. */
export function countryCodeOf(text: string): string | null {
  const trimmed = text.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const code = trimmed.toUpperCase();
    return [...countries().values()].includes(code) ? code : null;
  }
  return countries().get(foldName(trimmed)) ?? null;
}

const CODE_THEN_CITY = /^(?:[A-Z]{1,2}-)?(\d{4}\s?[A-Z]{2}|\d{2}-\d{3}|\d{3}\s\d{2}|\d{4,6})\s+(.+)$/i;
const CITY_THEN_CODE = /^(.+?)\s+([A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{4,6})$/i;

export function parseAddress(text: string): ParsedAddress {
  const parts = text
    .split(/[,\n;]/)
    .map((p) => p.trim())
    .filter(Boolean);
  const result: ParsedAddress = { street: null, postalCode: null, city: null, country: null };
  if (parts.length === 0) return result;
  const last = parts.at(-1)!;
  const country = parts.length > 1 ? countryCodeOf(last) : null;
  if (country) {
    result.country = country;
    parts.pop();
  }
  // The place part is the last one that reads as "<postal code> <city>" or "<city> <postal code>".
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    const codeFirst = CODE_THEN_CITY.exec(part);
    const cityFirst = codeFirst ? null : CITY_THEN_CODE.exec(part);
    if (codeFirst || cityFirst) {
      result.postalCode = (codeFirst ? codeFirst[1]! : cityFirst![2]!).toUpperCase();
      result.city = codeFirst ? codeFirst[2]!.trim() : cityFirst![1]!.trim();
      result.street = parts.slice(0, i).join(', ') || null;
      return result;
    }
  }
  // No postal code: "<street>, <city>" at best.
  if (parts.length >= 2) {
    result.city = parts.at(-1)!;
    result.street = parts.slice(0, -1).join(', ');
  } else {
    result.street = parts[0] ?? null;
  }
  return result;
}
