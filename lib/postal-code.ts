/**
 * Postal codes as stored and compared: one spelling per code, so the same address reads the same
 * whichever system wrote it (bol `1234AB`, Shopify `1234 ab`, a CSV `NL-1234 AB`), and the weather
 * key, the look-ups and the export agree.
 */

/** Country prefixes people write before a postal code ("NL-1012 AB", "D-10115", "B-1000"). */
const POSTAL_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  NL: ['NL'], BE: ['BE', 'B'], DE: ['DE', 'D'], FR: ['FR', 'F'], LU: ['LU', 'L'], AT: ['AT', 'A'], CH: ['CH'],
};

/**
 * The key of a location: country upper-cased (`UK` → `GB`); postal code upper-cased, spaces
 * collapsed, a country prefix dropped, and written the way the country writes it where that
 * is unambiguous: NL `1012ab` → `1012 AB`, GB `sw1a1aa` → `SW1A 1AA`, US ZIP+4 → ZIP.
 */
export function normaliseLocation(country: string, postalCode: string): { country: string; postalCode: string } {
  let c = country.trim().toUpperCase();
  if (c === 'UK') c = 'GB';
  let p = postalCode.trim().toUpperCase().replace(/\s+/g, ' ');
  for (const prefix of POSTAL_PREFIXES[c] ?? []) {
    const m = new RegExp(`^${prefix}\\s*-\\s*(?=\\d)`).exec(p);
    if (m) {
      p = p.slice(m[0].length);
      break;
    }
  }
  if (c === 'NL') {
    const m = /^(\d{4})\s*([A-Z]{2})$/.exec(p);
    if (m) p = `${m[1]} ${m[2]}`;
  } else if (c === 'GB') {
    const compact = p.replace(/ /g, '');
    if (/^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$/.test(compact)) p = `${compact.slice(0, -3)} ${compact.slice(-3)}`;
  } else if (c === 'US') {
    const m = /^(\d{5})(?:\s*-\s*\d{4})?$/.exec(p);
    if (m) p = m[1]!;
  }
  return { country: c, postalCode: p };
}

