import type { ApiContext } from '../context.ts';
import { IdParams, parseRequest } from '../schemas.ts';

/** The `:id` of the path, a positive integer, or a 400 naming `id`. */
export function pathId(ctx: ApiContext): number {
  return parseRequest(IdParams, ctx.params).id;
}
