import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { chooseShipmentIndex, type ShipmentFilters, type ShipmentKeyset } from '../models/shipment-queries.ts';

/**
 * The shipment list's opaque cursor: base64url of `{"v":1,"k":[id]}` (or `[updated_at, id]` in
 * change-feed order) plus `"f"`, a hash of the filters it was made for. A cursor is a position
 * in one particular ordered result; used with other filters it would skip or repeat rows
 * silently, so that is a 400 instead. It is not signed: a forged position only reads rows the
 * same token could read anyway.
 */
const CURSOR_VERSION = 1;

const cursorShape = z
  .object({
    v: z.literal(CURSOR_VERSION),
    k: z.array(z.number().int().nonnegative().refine(Number.isSafeInteger)).min(1).max(2),
    f: z.string(),
  })
  .strict();

export function filtersHash(filters: ShipmentFilters): string {
  // Fixed order, explicit nulls: the same filters always hash the same, however they were sent.
  const canonical = [
    filters.shop_id ?? null,
    filters.status ?? null,
    filters.carrier ?? null,
    filters.tracking_number ?? null,
    filters.reference ?? null,
    filters.phone_key ?? null,
    filters.updated_since ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

export function encodeCursor(filters: ShipmentFilters, keyset: ShipmentKeyset): string {
  const k = keyset.updated_at === undefined ? [keyset.id] : [keyset.updated_at, keyset.id];
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, k, f: filtersHash(filters) })).toString('base64url');
}

export function decodeCursor(filters: ShipmentFilters, cursor: string): ShipmentKeyset {
  let parsed: z.infer<typeof cursorShape>;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    parsed = cursorShape.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw invalidCursor('is not a cursor this API made; pass the next_cursor of a previous page unchanged');
  }
  if (parsed.f !== filtersHash(filters)) {
    throw invalidCursor('was made for other filters; send it with the same filters as the page it came from, or start again without a cursor');
  }
  const { order } = chooseShipmentIndex(filters);
  if (order === 'id_desc' && parsed.k.length === 1) return { id: parsed.k[0]! };
  if (order === 'updated_asc' && parsed.k.length === 2) return { updated_at: parsed.k[0]!, id: parsed.k[1]! };
  throw invalidCursor('is not a cursor this API made; pass the next_cursor of a previous page unchanged');
}

function invalidCursor(reason: string): AppError {
  return new AppError('invalid_cursor', `The cursor ${reason}.`, { status: 400, details: [{ field: 'cursor', reason }] });
}
