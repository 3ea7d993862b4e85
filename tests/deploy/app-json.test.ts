import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { loadConfig } from '../../config/config.ts';

/**
 * The Heroku manifest must create an app that starts: every variable the config requires on
 * MySQL + RabbitMQ is either generated, or set by an add-on attachment, and its processes are
 * the Procfile's.
 */
const manifest = JSON.parse(readFileSync(new URL('../../app.json', import.meta.url), 'utf8')) as {
  env: Record<string, { generator?: string; value?: string; required?: boolean }>;
  addons: { plan: string; as?: string }[];
  formation: Record<string, { quantity: number }>;
};
const procfile = readFileSync(new URL('../../Procfile', import.meta.url), 'utf8');

/** What Heroku sets when it creates the app: generated secrets, defaults, add-on URLs. */
function environmentOfNewApp(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, spec] of Object.entries(manifest.env)) {
    // Heroku's "secret" generator writes a random string (64 hex characters in practice).
    if (spec.generator === 'secret') env[name] = randomBytes(32).toString('hex');
    else if (spec.value !== undefined) env[name] = spec.value;
  }
  for (const addon of manifest.addons) {
    const service = addon.plan.split(':')[0]!;
    // An add-on's URL variable is named by its attachment (`as`), or by the service's own name.
    const varName = addon.as ? `${addon.as}_URL` : service === 'cloudamqp' ? 'CLOUDAMQP_URL' : `${service.toUpperCase().replace(/-/g, '_')}_URL`;
    env[varName] = service === 'cloudamqp' ? 'amqps://u:p@rabbit.example.com/vhost' : 'mysql://u:p@db.example.com:3306/shipsync';
  }
  return env;
}

test('app.json gives a new app every variable the config requires on MySQL + RabbitMQ', (t) => {
  const config = loadConfig(environmentOfNewApp());
  t.false(config.embedded);
  t.truthy(config.databaseUrl);
  t.truthy(config.amqpUrl);
  t.truthy(config.apiToken);
  t.truthy(config.secretsKey);
});

test('the generated variables are the ones the config cannot do without', (t) => {
  const generated = Object.entries(manifest.env).filter(([, spec]) => spec.generator === 'secret').map(([name]) => name);
  t.deepEqual(generated.sort(), ['API_TOKEN', 'SECRETS_KEY']);
  const env = environmentOfNewApp();
  for (const name of generated) {
    const { [name]: _dropped, ...rest } = env;
    t.throws(() => loadConfig(rest), { message: new RegExp(`${name}: required`) }, `${name} is required`);
  }
});

test('the formation runs the Procfile processes, and the release phase stays in the Procfile', (t) => {
  const processes = procfile.split('\n').filter(Boolean).map((line) => line.split(':')[0]!);
  t.true(processes.includes('release'));
  t.deepEqual(Object.keys(manifest.formation).sort(), processes.filter((p) => p !== 'release').sort());
  for (const [name, f] of Object.entries(manifest.formation)) t.true(f.quantity >= 1, name);
});
