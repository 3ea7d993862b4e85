/**
 * Runs the simulators as a standalone process: `tsx sandbox/server.ts` (or `npm run sandbox`).
 *
 *   SANDBOX_PORT=8080 SANDBOX_SHIPMENTS=500 SANDBOX_SEED=7 SANDBOX_LIST_LIMIT=25/60s \
 *   SANDBOX_DETAIL_LIMIT=50/60s SANDBOX_LATENCY_MS=50 SANDBOX_ERROR_RATE=0.02 \
 *   SANDBOX_TOKEN_LIFETIME_SECONDS=299 tsx sandbox/server.ts
 *
 * Prints the URL to use as BOL_LOGIN_URL and BOL_API_URL and the demo credentials. Only the bol
 * simulator exists today; DHL and weather simulators will start here beside it.
 */
import { startBolSandbox } from './bol/index.ts';
import { DEFAULT_LIMITS } from './bol/options.ts';
import { bolOptionsFromEnv } from './env.ts';

const options = bolOptionsFromEnv(process.env);
const bol = await startBolSandbox(options);
const list = options.limits?.list ?? DEFAULT_LIMITS.list;
const detail = options.limits?.detail ?? DEFAULT_LIMITS.detail;
process.stdout.write(
  [
    `bol sandbox listening on ${bol.url}`,
    `  BOL_LOGIN_URL=${bol.url}`,
    `  BOL_API_URL=${bol.url}`,
    `  BOL_CLIENT_ID=demo-client`,
    `  BOL_CLIENT_SECRET=demo-secret`,
    `  shipments: ${bol.shipments.length} (seed ${options.seed ?? 1}); list limit ${list.capacity}/${list.windowMs}ms, detail limit ${detail.capacity}/${detail.windowMs}ms`,
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`${signal}: stopping bol sandbox\n`);
  await bol.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
