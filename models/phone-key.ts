/**
 * How a customer's phone is matched however it was written (`+31 6 12345678`, `0612345678`,
 * `"0534534534"`, `971534534534`): by its last digits, 9 by default (PHONE_KEY_DIGITS). The one
 * rule for every writer of `shipments.phone_key` (syncs, imports) and for the API's look-up.
 */
export const DEFAULT_PHONE_KEY_DIGITS = 9;

/** null when the text holds too few digits to identify anyone. */
export function phoneKey(phone: string | null, digits = DEFAULT_PHONE_KEY_DIGITS): string | null {
  if (!phone) return null;
  const only = phone.replace(/\D/g, '');
  return only.length >= Math.min(6, digits) ? only.slice(-digits) : null;
}
