/**
 * Relay connections over a sorted list, with Shopify's keyset cursors: a cursor is base64 JSON
 * `{"last_id":…,"last_value":…}` naming the item it points at, not its position, so a page boundary
 * stays right while items are added or move (an edited order moves in an UPDATED_AT sort).
 */
import { GraphQLError } from 'graphql';

export interface SortKey {
  /** The sort value (epoch ms, a number); ties are broken by id. */
  value: number;
  id: number;
}

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify({ last_id: key.id, last_value: key.value })).toString('base64');
}

function decodeCursor(cursor: string): SortKey {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { last_id?: unknown; last_value?: unknown };
    if (typeof parsed.last_id === 'number' && typeof parsed.last_value === 'number') return { id: parsed.last_id, value: parsed.last_value };
  } catch {
    // fall through
  }
  throw new GraphQLError('Invalid cursor for current pagination sort.', { extensions: { code: 'BAD_USER_INPUT' } });
}

/** Ascending (value, id); reversed when `reverse`. */
function compare(a: SortKey, b: SortKey, reverse: boolean): number {
  const c = a.value !== b.value ? a.value - b.value : a.id - b.id;
  return reverse ? -c : c;
}

/** First index in `items` (sorted by compare) whose key is after `key` (strictly, or at-or-after when inclusive). */
function boundary<T>(items: readonly T[], keyOf: (t: T) => SortKey, key: SortKey, reverse: boolean, inclusive: boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(keyOf(items[mid] as T), key, reverse);
    if (c < 0 || (!inclusive && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of `items`, which must already be in output order (ascending, or descending when
 * `reverse`). Without first and last the whole list is the page (bulk operations read that way).
 */
export function paginate<T>(items: readonly T[], keyOf: (t: T) => SortKey, args: PageArgs, reverse = false): Connection<T> {
  let lo = args.after ? boundary(items, keyOf, decodeCursor(args.after), reverse, false) : 0;
  let hi = args.before ? boundary(items, keyOf, decodeCursor(args.before), reverse, true) : items.length;
  if (hi < lo) hi = lo;
  if (typeof args.first === 'number') hi = Math.min(hi, lo + Math.max(0, args.first));
  if (typeof args.last === 'number') lo = Math.max(lo, hi - Math.max(0, args.last));
  const page = items.slice(lo, hi);
  const edges = page.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    nodes: page,
    pageInfo: {
      hasNextPage: hi < items.length,
      hasPreviousPage: lo > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
