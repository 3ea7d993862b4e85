import { z } from 'zod';

/**
 * Where a shipments sync run stands. Saved in the same transaction as the records it covers,
 * so a run resumed on another worker neither skips nor repeats a page.
 *
 * bol lists FBR and FBB shipments separately (no "all" value), newest first, 50 a page:
 * the run walks FBR pages, then FBB pages. `pending` holds the shipment ids of the current
 * page whose details are still to fetch; null means the page itself is still to fetch.
 */
export const checkpointSchema = z.object({
  method: z.enum(['FBR', 'FBB']),
  page: z.number().int().positive(),
  pending: z.array(z.string()).nullable(),
  /** The current page is the method's last: after its details, move on. */
  lastPage: z.boolean(),
  /**
   * The following page's list answer, fetched ahead while the current page's details were
   * being fetched, so the next step can start on details at once.
   */
  ahead: z.object({ pending: z.array(z.string()), lastPage: z.boolean() }).nullable().default(null),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

export const FIRST_CHECKPOINT: Checkpoint = { method: 'FBR', page: 1, pending: null, lastPage: false, ahead: null };

export function readCheckpoint(value: unknown): Checkpoint {
  if (value === null || value === undefined) return FIRST_CHECKPOINT;
  return checkpointSchema.parse(typeof value === 'string' ? JSON.parse(value) : value);
}

/** The checkpoint after the current page is complete; null when the run is done. */
export function nextPage(cp: Checkpoint): Checkpoint | null {
  const following = followingPage(cp);
  if (!following) return null;
  return cp.ahead ? { ...following, pending: cp.ahead.pending, lastPage: cp.ahead.lastPage } : following;
}

/** The page after the current one, not yet fetched; null when the current page is the run's last. */
export function followingPage(cp: Pick<Checkpoint, 'method' | 'page' | 'lastPage'>): Checkpoint | null {
  if (!cp.lastPage) return { method: cp.method, page: cp.page + 1, pending: null, lastPage: false, ahead: null };
  if (cp.method === 'FBR') return { method: 'FBB', page: 1, pending: null, lastPage: false, ahead: null };
  return null;
}
