import { envProblems } from '../../lib/env.ts';
import { bolConnector } from './bol/connector.ts';
import { shopifyConnector } from './shopify/connector.ts';
import type { PlatformConnector } from './types.ts';

/**
 * The platform registry: every seller-shop platform shipsync can connect, by name. A new platform
 * is a folder `crawler/connectors/<platform>/` implementing `PlatformConnector` and one
 * `registerPlatform` line below; the API's shop schemas, the worker and the config read it.
 */

// Connectors are typed by their own credentials and settings; the registry holds them side by side.
export type AnyPlatformConnector = PlatformConnector<any, any, any>;

const registry = new Map<string, AnyPlatformConnector>();

/** Adds a platform to the registry; its name must be new. */
export function registerPlatform(connector: AnyPlatformConnector): void {
  if (registry.has(connector.name)) throw new Error(`A platform named "${connector.name}" is registered already.`);
  registry.set(connector.name, connector);
}

registerPlatform(bolConnector);
registerPlatform(shopifyConnector);

/** Every registered connector, in registration order. */
export function registeredPlatforms(): AnyPlatformConnector[] {
  return [...registry.values()];
}

/** A connector with its settings, as the API and the worker use it. */
export interface ConfiguredPlatform {
  connector: AnyPlatformConnector;
  settings: unknown;
}

/** The platforms of one process, each with the settings read from its environment. */
export interface Platforms {
  get(name: string): ConfiguredPlatform | undefined;
  /** Their names, in registration order. */
  names(): string[];
}

/**
 * Reads every registered platform's settings from `env` (unset and empty variables left out), with
 * every problem as `NAME: reason`, so the config can report them beside its own.
 */
export function readPlatforms(env: Record<string, string | undefined>): { platforms: Platforms; problems: string[] } {
  const configured = new Map<string, ConfiguredPlatform>();
  const problems: string[] = [];
  for (const connector of registeredPlatforms()) {
    const parsed = connector.settings.safeParse(env);
    if (parsed.success) configured.set(connector.name, { connector, settings: parsed.data });
    else problems.push(...envProblems(parsed.error));
  }
  return {
    platforms: { get: (name) => configured.get(name), names: () => [...configured.keys()] },
    problems,
  };
}

/** The registered platforms on the settings `env` gives them (unset: their defaults); throws on a bad variable. */
export function platformsFromEnv(env: Record<string, string | undefined> = {}): Platforms {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const { platforms, problems } = readPlatforms(cleaned);
  if (problems.length > 0) throw new Error(`Platform settings are wrong: ${problems.join('; ')}`);
  return platforms;
}
