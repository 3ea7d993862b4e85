import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { UnauthorizedError } from '../../lib/errors.ts';
import type { ApiState } from '../context.ts';

/**
 * `Authorization: Bearer <API_TOKEN>` on every route but the public ones. Both sides are hashed
 * before the constant-time compare, so neither the token's content nor its length leaks through
 * timing.
 */
export function bearerAuth(apiToken: string, opts: { publicPaths: string[]; alsoAccepted?: Record<string, string | undefined> }): Koa.Middleware<ApiState> {
  const expected = digest(apiToken);
  const publicPaths = new Set(opts.publicPaths);
  // A path's own extra token (METRICS_TOKEN for /metrics): a scraper need not hold the API token.
  const extra = new Map(Object.entries(opts.alsoAccepted ?? {}).flatMap(([path, token]) => (token ? [[path, digest(token)] as const] : [])));
  return async (ctx, next) => {
    const path = ctx.path.replace(/\/+$/, '') || '/';
    if (publicPaths.has(path)) return next();
    const header = ctx.get('authorization');
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) {
      ctx.set('WWW-Authenticate', 'Bearer realm="shipsync"');
      throw new UnauthorizedError(
        header
          ? 'The Authorization header is not a bearer token; send "Authorization: Bearer <API_TOKEN>".'
          : 'This route needs the API token: send "Authorization: Bearer <API_TOKEN>".',
      );
    }
    const given = digest(match[1]!);
    const pathToken = extra.get(path);
    // Both compared, always: which one matched must not show in the time taken.
    const matchesApi = timingSafeEqual(given, expected);
    const matchesPath = pathToken ? timingSafeEqual(given, pathToken) : false;
    if (!matchesApi && !matchesPath) {
      ctx.set('WWW-Authenticate', 'Bearer realm="shipsync", error="invalid_token"');
      throw new UnauthorizedError('The bearer token is not this server\'s API_TOKEN; send "Authorization: Bearer <API_TOKEN>".');
    }
    return next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
