import { z } from 'zod';

/**
 * Where a Shopify shipments run stands (saved with the records it covers):
 * - `page`: paging orders by `updatedAt` from `after` (incremental runs, and initial runs set to page);
 * - `bulk-start`: a bulk operation is to be started (`attempt`: how many ended without a whole file);
 * - `bulk-poll`: operation `id` runs on Shopify; polled with a delayed step, holding no worker;
 * - `bulk-read`: its file is read from byte `byte` (line `line`), a whole order (with its line
 *   item lines) at a time, so a resumed step starts at an order's first line.
 */
const attempt = z.number().int().nonnegative();

export const checkpointSchema = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('page'), after: z.string().nullable(), search: z.string().nullable() }),
  z.object({ phase: z.literal('bulk-start'), attempt }),
  z.object({ phase: z.literal('bulk-poll'), attempt, id: z.string(), polls: z.number().int().nonnegative() }),
  z.object({
    phase: z.literal('bulk-read'),
    attempt,
    id: z.string(),
    url: z.string(),
    /** When the operation started: once its whole file is stored, changes after it are the next run's. */
    createdAt: z.string(),
    objectCount: z.number().int().nonnegative(),
    rootObjectCount: z.number().int().nonnegative(),
    /** The operation failed with this error code and `url` is its partial data; null: complete. */
    failedWith: z.string().nullable(),
    line: z.number().int().nonnegative(),
    roots: z.number().int().nonnegative(),
    byte: z.number().int().nonnegative(),
  }),
]);

export type Checkpoint = z.infer<typeof checkpointSchema>;
export type BulkRead = Extract<Checkpoint, { phase: 'bulk-read' }>;

export function readCheckpoint(value: unknown): Checkpoint | null {
  if (value === null || value === undefined) return null;
  return checkpointSchema.parse(typeof value === 'string' ? JSON.parse(value) : value);
}

/** The stream's cursor between runs: the newest order change stored (ISO time). */
export const cursorSchema = z.object({ updatedAt: z.string() }).nullable().catch(null);
export type StreamCursor = z.infer<typeof cursorSchema>;

/** Re-read this much before the watermark: clocks differ, and a re-seen order is a harmless upsert. */
export const WATERMARK_OVERLAP_MS = 60_000;

/** The orders search of an incremental run from `cursor` (null: every order). */
export function changedSince(cursor: StreamCursor): string | null {
  if (!cursor) return null;
  const from = Date.parse(cursor.updatedAt) - WATERMARK_OVERLAP_MS;
  return `updated_at:>'${new Date(from).toISOString()}'`;
}

/** The later of two watermarks. */
export function laterCursor(a: StreamCursor, updatedAt: string | undefined): StreamCursor {
  if (updatedAt === undefined) return a;
  if (!a || Date.parse(updatedAt) > Date.parse(a.updatedAt)) return { updatedAt };
  return a;
}
