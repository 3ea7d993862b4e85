import { createHash } from 'node:crypto';
import { AppError } from '../lib/errors.ts';

/**
 * An opaque cursor for lists ordered by id: base64url of `{"v":1,"k":<last id>,"f":<hash of the
 * filters>}`. Like the shipment list's cursor (api/cursor.ts), it is refused with other filters
 * than those it was made for, which would silently skip or repeat rows.
 */
export function encodeIdCursor(filters: unknown, lastId: number): string {
  return Buffer.from(JSON.stringify({ v: 1, k: lastId, f: hashOf(filters) })).toString('base64url');
}

export function decodeIdCursor(filters: unknown, cursor: string): number {
  let parsed: { v?: unknown; k?: unknown; f?: unknown };
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor this API made; pass the next_cursor of a previous page unchanged');
  }
  if (parsed?.v !== 1 || typeof parsed.k !== 'number' || !Number.isSafeInteger(parsed.k) || parsed.k < 0) {
    throw invalid('is not a cursor this API made; pass the next_cursor of a previous page unchanged');
  }
  if (parsed.f !== hashOf(filters)) throw invalid('was made for other filters; send it with the same filters as the page it came from, or start again without a cursor');
  return parsed.k;
}

function hashOf(filters: unknown): string {
  const canonical = Object.entries((filters ?? {}) as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 16);
}

function invalid(reason: string): AppError {
  return new AppError('invalid_cursor', `The cursor ${reason}.`, { status: 400, details: [{ field: 'cursor', reason }] });
}
