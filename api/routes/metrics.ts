import { scrapeMetrics, syncRunsActive } from '../../lib/metrics.ts';
import { countActiveSyncRuns } from '../../models/sync-runs.ts';
import type { ApiDeps, ApiRouter } from '../context.ts';

/**
 * `GET /metrics`: the web process's metrics in the Prometheus text format, with what only the
 * web reads at scrape time: the sync runs queued and running (two index ranges). Takes the API
 * token or METRICS_TOKEN (api/app.ts).
 */
export function metricsRoutes(router: ApiRouter, deps: Pick<ApiDeps, 'knex'>): void {
  router.get('/metrics', async (ctx) => {
    const active = await countActiveSyncRuns(deps.knex);
    syncRunsActive.set({ status: 'queued' }, active.queued);
    syncRunsActive.set({ status: 'running' }, active.running);
    const { contentType, body } = await scrapeMetrics();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });
}
