import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../config/boot.ts';
import { openKnex } from '../boot/runtime.ts';
import { migrateLatest } from '../migrations/index.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { withEmbeddedSecrets } from '../config/embedded-secrets.ts';
import { resealCredentials } from '../models/shop-credentials.ts';
import { resealWebhookSecrets } from '../models/webhooks.ts';
import { ApiClient } from './api-client.ts';
import { showSyncProgress } from './progress.ts';

const USAGE = `shipsync <command>

  demo                              start shipsync and the bol sandbox, connect a demo shop, sync it, keep serving
  migrate                           bring the database schema up to date
  sync <shop_id> [--type initial|incremental] [--url URL]
                                    start a sync through the API and follow it with a progress bar
                                    (API_TOKEN from the environment or data/api-token; URL default http://localhost:$PORT)
  import <products|shipments|status_feed> <file> [--event pickup|delivery_exception|delivered|returned] [--timezone ZONE] [--url URL]
                                    upload a CSV file and follow its import with a progress bar (a status feed's event
                                    defaults to what its file name says, e.g. delivery-exceptions.csv)
  reseal-credentials                re-encrypt stored credentials with SECRETS_KEY (after moving the old key to SECRETS_KEY_PREVIOUS)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const { runDemo } = await import('./demo.ts');
      await runDemo();
      return -1; // keeps serving
    }
    case 'migrate': {
      const config = loadConfigOrExit();
      const knex = openKnex(config);
      const applied = await migrateLatest(knex);
      await knex.destroy();
      console.log(applied.length ? `Applied ${applied.length} migrations.` : 'Database schema is up to date.');
      return 0;
    }
    case 'sync': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { type: { type: 'string', default: 'initial' }, url: { type: 'string' } } });
      const shopId = Number(positionals[0]);
      if (!Number.isInteger(shopId) || shopId <= 0) return usage('sync needs a shop id, e.g. shipsync sync 1');
      const config = loadConfigOrExit();
      const token = config.apiToken ?? (config.databaseUrl ? undefined : withEmbeddedSecrets(config).apiToken);
      if (!token) return usage('Set API_TOKEN to the API token of the shipsync you are talking to.');
      const api = new ApiClient(values.url ?? `http://localhost:${config.port}`, token);
      const started = await api.request('POST', `/shops/${shopId}/syncs`, { type: values.type });
      if (started.status !== 202) {
        console.error(`shipsync answered ${started.status}: ${started.body?.error?.message ?? JSON.stringify(started.body)}`);
        return 1;
      }
      const run = await showSyncProgress(api, started.body.id);
      console.log(run.status === 'succeeded' ? `Sync ${run.id} succeeded: ${run.records_upserted} shipments, ${run.requests_made} requests.` : `Sync ${run.id} failed: ${run.error}`);
      return run.status === 'succeeded' ? 0 : 1;
    }
    case 'import': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { event: { type: 'string' }, timezone: { type: 'string' }, url: { type: 'string' } },
      });
      const [type, file] = positionals;
      if (!type || !file) return usage('import needs a type and a file, e.g. shipsync import products catalogue.csv');
      const config = loadConfigOrExit();
      const token = config.apiToken ?? (config.databaseUrl ? undefined : withEmbeddedSecrets(config).apiToken);
      if (!token) return usage('Set API_TOKEN to the API token of the shipsync you are talking to.');
      const { runImport } = await import('./import.ts');
      return runImport({ url: values.url ?? `http://localhost:${config.port}`, token, type, file, event: values.event, timezone: values.timezone });
    }
    case 'reseal-credentials': {
      const config = loadConfigOrExit();
      const full = config.databaseUrl ? { ...config, secretsKey: config.secretsKey! } : withEmbeddedSecrets(config);
      const knex = openKnex(config);
      const count = await resealCredentials(knex, createSecretBox(full.secretsKey, config.previousSecretsKeys));
      const webhooks = await resealWebhookSecrets(knex, createSecretBox(full.secretsKey, config.previousSecretsKeys));
      await knex.destroy();
      console.log(`Re-sealed the credentials of ${count} shops and the signing secrets of ${webhooks} webhooks with the current key.`);
      return 0;
    }
    default:
      return usage(command ? `Unknown command "${command}".` : undefined);
  }
}

function usage(problem?: string): number {
  if (problem) console.error(problem + '\n');
  console.error(USAGE);
  return 2;
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
