import cliProgress from 'cli-progress';
import type { ApiClient, SyncRunView } from './api-client.ts';

/**
 * Follows a sync run with a progress bar. bol lists no totals, so the bar's end is an
 * estimate when one is known (the demo knows its sandbox) and grows as records arrive.
 */
export async function showSyncProgress(api: ApiClient, runId: number, expectedRecords?: number): Promise<SyncRunView> {
  const bar = new cliProgress.SingleBar(
    {
      format: ' sync {type} |{bar}| {value}/{total} shipments · {pages} pages · {requests} requests · {status}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, expectedRecords ?? 1), 0, { type: '', pages: 0, requests: 0, status: 'queued' });
  const run = await api.followSyncRun(runId, (r) => {
    if (r.records_upserted > bar.getTotal()) bar.setTotal(r.records_upserted);
    bar.update(r.records_upserted, { type: r.type, pages: r.pages_fetched, requests: r.requests_made, status: r.status });
  });
  if (run.status === 'succeeded') bar.setTotal(Math.max(1, run.records_upserted));
  bar.update(run.records_upserted, { status: run.status });
  bar.stop();
  return run;
}
