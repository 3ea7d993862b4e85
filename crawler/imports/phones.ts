/**
 * Phones as partner files write them (shared/data/README.md): `585949014`, `"0534534534"` (the
 * quotes are part of the field), `971534534534`. The number is kept as written, less quotes and
 * spacing; the last `digits` digits (9 by default: PHONE_KEY_DIGITS) identify the customer.
 */
export function cleanPhone(text: string): string | null {
  const cleaned = text.replace(/["'\s]/g, '');
  return /\d/.test(cleaned) ? cleaned.slice(0, 32) : null;
}

export function phoneKeyWith(phone: string | null, digits: number): string | null {
  if (!phone) return null;
  const only = phone.replace(/\D/g, '');
  return only.length >= Math.min(6, digits) ? only.slice(-digits) : null;
}
