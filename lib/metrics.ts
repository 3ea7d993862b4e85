import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the processes export, defined in this one place (prom-client, Prometheus text
 * format). The README's "Metrics" section lists them with what to alert on; keep the two in step.
 * Unlike the rest of lib/ these names carry the product's words: they are the operator's vocabulary.
 *
 * One registry per process. Counters count what this process did (sum them across processes);
 * gauges read at scrape time (queue depth, active sync runs) say what the process saw then.
 */
export const metricsRegistry = new Registry();

// Event loop lag, heap, GC, CPU, open handles: prom-client's standard process metrics.
collectDefaultMetrics({ register: metricsRegistry });

const registers = [metricsRegistry];

/** Job outcomes as the worker's consume wrapper decides them (crawler/consume.ts). */
export const JOB_OUTCOMES = ['succeeded', 'retried', 'rate_limited', 'deferred', 'requeued', 'dead_lettered'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

export const jobsStarted = new Counter({
  name: 'shipsync_jobs_started_total',
  help: 'Jobs a worker began handling, by job name.',
  labelNames: ['job'] as const,
  registers,
});

export const jobsFinished = new Counter({
  name: 'shipsync_jobs_finished_total',
  help: 'Jobs handled, by job name and outcome: succeeded, retried (failed, back with backoff), rate_limited (back after Retry-After, no attempt spent), deferred (the handler set its own later time), requeued (shutdown), dead_lettered.',
  labelNames: ['job', 'outcome'] as const,
  registers,
});

export const jobDuration = new Histogram({
  name: 'shipsync_job_duration_seconds',
  help: 'Time a job spent in its handler, by job name and outcome.',
  labelNames: ['job', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers,
});

/** Queue depth by queue and state, read from the queue at scrape time (see `watchQueue`). */
const queueJobs = new Gauge({
  name: 'shipsync_queue_jobs',
  help: 'Jobs on a queue by state: ready (waiting for a worker), delayed (retries and paced steps not yet due), dead (dead-lettered).',
  labelNames: ['queue', 'state'] as const,
  registers,
  async collect() {
    await Promise.all(
      [...watchedQueues].map(async ([name, source]) => {
        try {
          const depth = await source.depth();
          this.set({ queue: name, state: 'ready' }, depth.ready);
          this.set({ queue: name, state: 'delayed' }, depth.delayed);
          this.set({ queue: name, state: 'dead' }, depth.dead);
        } catch {
          // A broker that does not answer leaves the last values; /health says it is down.
        }
      }),
    );
  },
});
void queueJobs;

export interface QueueDepthSource {
  depth(): Promise<{ ready: number; delayed: number; dead: number }>;
}

const watchedQueues = new Map<string, QueueDepthSource>();

/** Reports `source`'s depth as queue `name` at every scrape, until the returned function is called. */
export function watchQueue(name: string, source: QueueDepthSource): () => void {
  watchedQueues.set(name, source);
  return () => {
    if (watchedQueues.get(name) === source) watchedQueues.delete(name);
  };
}

/** Outgoing calls to providers (lib/http.ts `send`). */
export const providerRequests = new Counter({
  name: 'shipsync_provider_requests_total',
  help: 'Calls to providers by provider and status class (2xx, 3xx, 4xx, 5xx, network: no answer).',
  labelNames: ['provider', 'status_class'] as const,
  registers,
});

export const providerRateLimited = new Counter({
  name: 'shipsync_provider_rate_limited_total',
  help: 'Provider answers 429 Too Many Requests, by provider. Should stay 0: the pace keeps under every limit.',
  labelNames: ['provider'] as const,
  registers,
});

export const providerRequestDuration = new Histogram({
  name: 'shipsync_provider_request_duration_seconds',
  help: 'Time to a provider answer, by provider.',
  labelNames: ['provider'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers,
});

export const providerRateRemaining = new Gauge({
  name: 'shipsync_provider_rate_remaining',
  help: 'Requests left in the current limit window, from the last answer\'s X-RateLimit-Remaining, by provider.',
  labelNames: ['provider'] as const,
  registers,
});

export const tokenRefreshes = new Counter({
  name: 'shipsync_token_refreshes_total',
  help: 'Access tokens fetched for shops, by platform.',
  labelNames: ['platform'] as const,
  registers,
});

export const syncRunsFinished = new Counter({
  name: 'shipsync_sync_runs_finished_total',
  help: 'Sync runs that finished, by status (succeeded, failed); counted by the webhook relay as it claims their outcome events.',
  labelNames: ['status'] as const,
  registers,
});

/** Sync runs queued or running, read from the database at scrape time (web process). */
export const syncRunsActive = new Gauge({
  name: 'shipsync_sync_runs_active',
  help: 'Sync runs queued or running now, by status.',
  labelNames: ['status'] as const,
  registers,
});

export const importRows = new Counter({
  name: 'shipsync_import_rows_total',
  help: 'CSV import rows committed, by import type and result (inserted, updated, failed, unchanged).',
  labelNames: ['type', 'result'] as const,
  registers,
});

export const webhookDeliveries = new Counter({
  name: 'shipsync_webhook_deliveries_total',
  help: 'Webhook delivery attempts, by outcome: succeeded, failed (another attempt follows), given_up (no further attempt).',
  labelNames: ['outcome'] as const,
  registers,
});

export const httpRequests = new Counter({
  name: 'shipsync_http_requests_total',
  help: 'API requests answered, by method, route (the router\'s pattern, e.g. /shops/:id) and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers,
});

export const httpRequestDuration = new Histogram({
  name: 'shipsync_http_request_duration_seconds',
  help: 'API latency from request to the end of the answer\'s headers, by method and route.',
  labelNames: ['method', 'route'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers,
});

/** The exposition text and its content type. */
export async function scrapeMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}

/** `2xx` … `5xx` for an HTTP status. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
export const tableRowsPruned = new Counter({
  name: 'shipsync_rows_pruned_total',
  help: 'Rows removed by the retention prune, by table.',
  labelNames: ['table'] as const,
  registers,
});

