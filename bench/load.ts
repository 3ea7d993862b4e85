import http from 'node:http';

/**
 * A small closed-loop HTTP load generator: `connections` keep-alive connections, each sending
 * its next request as soon as the previous answer is read, for `durationMs` after a warm-up.
 * Reports requests per second and latency percentiles (from every request's own timing).
 * Only for servers on this machine (127.0.0.1).
 */

export interface LoadOptions {
  url: string;
  /** The path (with query) of each request; called once per request. */
  path: (i: number) => string;
  headers?: Record<string, string>;
  connections: number;
  durationMs: number;
  warmupMs?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Answers other than 200. */
  non200: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let errors = 0;
  let non200 = 0;
  let counter = 0;
  let measuring = false;
  let stopped = false;

  const once = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: target.hostname, port: target.port, path, agent, headers: opts.headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });

  const loop = async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const status = await once(opts.path(counter++));
        if (measuring) {
          latencies.push(performance.now() - started);
          if (status !== 200) non200 += 1;
        }
      } catch {
        if (measuring) errors += 1;
      }
    }
  };

  const loops = Array.from({ length: opts.connections }, loop);
  await new Promise((r) => setTimeout(r, opts.warmupMs ?? 2_000));
  measuring = true;
  const startedAt = performance.now();
  await new Promise((r) => setTimeout(r, opts.durationMs));
  measuring = false;
  const elapsedMs = performance.now() - startedAt;
  stopped = true;
  await Promise.all(loops);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    errors,
    non200,
    requestsPerSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: latencies.at(-1) ?? NaN,
  };
}
