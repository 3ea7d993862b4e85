/**
 * Phones as partner files write them (shared/data/README.md): `585949014`, `"0534534534"` (the
 * quotes are part of the field), `971534534534`. The number is kept as written, less quotes and
 * spacing; its key is models/phone-key.ts `phoneKey`.
 */
export function cleanPhone(text: string): string | null {
  const cleaned = text.replace(/["'\s]/g, '');
  return /\d/.test(cleaned) ? cleaned.slice(0, 32) : null;
}

