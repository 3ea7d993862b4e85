import test from 'ava';
import { ConfigError, loadConfig } from '../../config/config.ts';

const key = Buffer.alloc(32, 7).toString('base64');

test('no environment at all is the embedded mode with documented defaults', (t) => {
  const c = loadConfig({});
  t.true(c.embedded);
  t.is(c.port, 3000);
  const bol = c.platforms.get('bol')?.settings as { loginUrl: string; apiUrl: string };
  t.is(bol.loginUrl, 'https://login.bol.com');
  t.is(bol.apiUrl, 'https://api.bol.com');
  t.is(c.carriers.dhl.apiUrl, 'https://api-eu.dhl.com');
  t.is(c.weather.weatherApiUrl, 'https://api.weatherapi.com');
});

test('MySQL without API_TOKEN and SECRETS_KEY names both problems in one error', (t) => {
  const err = t.throws(() => loadConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:3306/test' }), { instanceOf: ConfigError }) as ConfigError;
  t.is(err.problems.length, 2);
  t.regex(err.message, /API_TOKEN: required/);
  t.regex(err.message, /SECRETS_KEY: required/);
});

test('every bad variable is reported at once, each by name', (t) => {
  const err = t.throws(() => loadConfig({ DATABASE_URL: 'postgres://x', PORT: 'eighty', SECRETS_KEY: 'short', BOL_API_URL: 'not a url', DHL_CALLS_PER_SECOND: 'fast' }), {
    instanceOf: ConfigError,
  }) as ConfigError;
  const named = err.problems.map((p) => p.split(':')[0]);
  t.deepEqual(new Set(named), new Set(['DATABASE_URL', 'PORT', 'SECRETS_KEY', 'BOL_API_URL', 'DHL_CALLS_PER_SECOND']));
});

test('CLOUDAMQP_URL is accepted in place of AMQP_URL; empty strings count as unset', (t) => {
  const c = loadConfig({ CLOUDAMQP_URL: 'amqp://guest:guest@localhost:5672', API_TOKEN: '' });
  t.is(c.amqpUrl, 'amqp://guest:guest@localhost:5672');
  t.false(c.embedded);
  t.is(c.apiToken, undefined);
});

test('a full production environment loads', (t) => {
  const c = loadConfig({
    DATABASE_URL: 'mysql://u:p@db:3306/shipsync',
    AMQP_URL: 'amqp://guest:guest@mq:5672',
    API_TOKEN: 'x'.repeat(32),
    SECRETS_KEY: key,
    SECRETS_KEY_PREVIOUS: `${Buffer.alloc(32, 1).toString('base64')}`,
    PORT: '8080',
  });
  t.false(c.embedded);
  t.is(c.port, 8080);
  t.is(c.previousSecretsKeys.length, 1);
});

test('metrics and retention: METRICS_PORT off by default, METRICS_TOKEN needs 16 characters, RETENTION_DAYS 30', (t) => {
  const defaults = loadConfig({});
  t.is(defaults.metricsPort, undefined);
  t.is(defaults.metricsToken, undefined);
  t.is(defaults.retentionDays, 30);
  const set = loadConfig({ METRICS_PORT: '9091', METRICS_TOKEN: 'm'.repeat(20), RETENTION_DAYS: '7' });
  t.like(set, { metricsPort: 9091, metricsToken: 'm'.repeat(20), retentionDays: 7 });
  const err = t.throws(() => loadConfig({ METRICS_PORT: 'high', METRICS_TOKEN: 'short', RETENTION_DAYS: '0' }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(err.problems.map((p) => p.split(':')[0]).sort(), ['METRICS_PORT', 'METRICS_TOKEN', 'RETENTION_DAYS']);
});

test('SECRETS_KEY takes a generated secret of 32+ characters (Heroku writes those), not a short one', (t) => {
  t.truthy(loadConfig({ SECRETS_KEY: 'ab'.repeat(32) }).secretsKey);
  const err = t.throws(() => loadConfig({ SECRETS_KEY: 'x'.repeat(20) }), { instanceOf: ConfigError }) as ConfigError;
  t.regex(err.message, /SECRETS_KEY/);
});
