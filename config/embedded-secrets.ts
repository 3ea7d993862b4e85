import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

/**
 * Embedded mode may run without API_TOKEN and SECRETS_KEY: they are generated once and kept
 * under DATA_DIR (mode 0600), so credentials stored yesterday still decrypt today and the
 * printed curl line keeps working across restarts.
 */
export function withEmbeddedSecrets(config: Config): Config & { apiToken: string; secretsKey: string; generatedApiToken: boolean } {
  mkdirSync(config.dataDir, { recursive: true });
  const apiTokenFile = path.join(config.dataDir, 'api-token');
  const secretsKeyFile = path.join(config.dataDir, 'secrets-key');
  const generatedApiToken = !config.apiToken;
  const apiToken = config.apiToken ?? readOrCreate(apiTokenFile, () => randomBytes(24).toString('base64url'));
  const secretsKey = config.secretsKey ?? readOrCreate(secretsKeyFile, () => randomBytes(32).toString('base64'));
  return { ...config, apiToken, secretsKey, generatedApiToken };
}

function readOrCreate(file: string, make: () => string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = make();
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return value;
}
