import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { chooseShipmentIndex, type ShipmentFilters, type ShipmentKeyset } from '../models/shipment-queries.ts';

/**
 * The API's opaque keyset cursors: base64url of `{"v":1,"k":<keyset>,"f":<hash of the
 * filters>}`, where the keyset is the sort keys of a page's last row. A cursor is a position in
 * one particular ordered result; used with other filters it would skip or repeat rows silently,
 * so that is a 400 instead. It is not signed: a forged position only reads rows the same token
 * could read anyway.
 *
 * Two lists use it, each with its own `k` and filter hash (both wire formats are kept as they
 * were first issued, so cursors clients hold stay valid):
 * - the shipment list (`encodeCursor`): `k` is `[id]`, or `[updated_at, id]` in change-feed order;
 * - lists ordered by id (`encodeIdCursor`): `k` is the last id.
 */
const CURSOR_VERSION = 1;

const NOT_OURS = 'is not a cursor this API made; pass the next_cursor of a previous page unchanged';
const OTHER_FILTERS = 'was made for other filters; send it with the same filters as the page it came from, or start again without a cursor';

function writeCursor(k: number | number[], f: string): string {
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, k, f })).toString('base64url');
}

/** The JSON inside `cursor`, or a 400 if it is not base64url of JSON. */
function readCursor(cursor: string): unknown {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor(NOT_OURS);
  }
}

function hashOf(canonical: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

function invalidCursor(reason: string): AppError {
  return new AppError('invalid_cursor', `The cursor ${reason}.`, { status: 400, details: [{ field: 'cursor', reason }] });
}

const shipmentCursorShape = z
  .object({
    v: z.literal(CURSOR_VERSION),
    k: z.array(z.number().int().nonnegative().refine(Number.isSafeInteger)).min(1).max(2),
    f: z.string(),
  })
  .strict();

export function filtersHash(filters: ShipmentFilters): string {
  // Fixed order, explicit nulls: the same filters always hash the same, however they were sent.
  return hashOf([
    filters.shop_id ?? null,
    filters.status ?? null,
    filters.carrier ?? null,
    filters.tracking_number ?? null,
    filters.reference ?? null,
    filters.phone_key ?? null,
    filters.updated_since ?? null,
    // Appended only when set, so cursors issued before `attention` existed stay valid. `now` is
    // not a filter a client chose: each page judges lateness at its own time.
    ...(filters.attention !== undefined ? [filters.attention] : []),
  ]);
}

/** The shipment list's cursor after `keyset`. */
export function encodeCursor(filters: ShipmentFilters, keyset: ShipmentKeyset): string {
  return writeCursor(keyset.updated_at === undefined ? [keyset.id] : [keyset.updated_at, keyset.id], filtersHash(filters));
}

/** Where a shipment list cursor says the page starts, or a 400 (`invalid_cursor`). */
export function decodeCursor(filters: ShipmentFilters, cursor: string): ShipmentKeyset {
  const parsed = shipmentCursorShape.safeParse(readCursor(cursor));
  if (!parsed.success) throw invalidCursor(NOT_OURS);
  const { k, f } = parsed.data;
  if (f !== filtersHash(filters)) throw invalidCursor(OTHER_FILTERS);
  const { order } = chooseShipmentIndex(filters);
  if (order === 'id_desc' && k.length === 1) return { id: k[0]! };
  if (order === 'updated_asc' && k.length === 2) return { updated_at: k[0]!, id: k[1]! };
  throw invalidCursor(NOT_OURS);
}

/** The filters of an id-ordered list, in a canonical order (sorted names, unset ones left out). */
function idFiltersHash(filters: unknown): string {
  return hashOf(
    Object.entries((filters ?? {}) as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** The cursor after `lastId` of a list ordered by id. */
export function encodeIdCursor(filters: unknown, lastId: number): string {
  return writeCursor(lastId, idFiltersHash(filters));
}

/** The last id an id-list cursor names, or a 400 (`invalid_cursor`). */
export function decodeIdCursor(filters: unknown, cursor: string): number {
  const parsed = readCursor(cursor) as { v?: unknown; k?: unknown; f?: unknown } | null;
  if (parsed?.v !== CURSOR_VERSION || typeof parsed.k !== 'number' || !Number.isSafeInteger(parsed.k) || parsed.k < 0) throw invalidCursor(NOT_OURS);
  if (parsed.f !== idFiltersHash(filters)) throw invalidCursor(OTHER_FILTERS);
  return parsed.k;
}
