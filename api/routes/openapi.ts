import type { ApiRouter } from '../context.ts';
import { openApiDocument } from '../openapi.ts';

/** `GET /openapi.json`: behind the bearer token like every route but /health (shared/PRODUCT.md). */
export function openApiRoutes(router: ApiRouter): void {
  router.get('/openapi.json', (ctx) => {
    ctx.body = openApiDocument();
  });
}
