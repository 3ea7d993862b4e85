import { envProblems } from '../../lib/env.ts';
import { ZodError } from 'zod';
import { trackingConnectorOf } from '../../models/carriers.ts';
import type { CarrierConnector } from './carrier-connector.ts';
import { dhlConnector } from './dhl/connector.ts';

/**
 * The carrier connector registry: connector name → connector. A new carrier connector is one
 * folder under crawler/connectors/ implementing `CarrierConnector`, one line here, and its
 * carriers' rows in the carrier table (models/carriers.ts) naming it in `trackedBy`. Settings
 * differ per connector (hence `any` here): `CarrierSettings` keeps each one's type.
 */
export const CARRIER_CONNECTORS = {
  dhl: dhlConnector,
} as const satisfies Record<string, CarrierConnector<any>>;

export type CarrierConnectorName = keyof typeof CARRIER_CONNECTORS;

/** Each connector's settings, by connector name. */
export type CarrierSettings = { [N in CarrierConnectorName]: (typeof CARRIER_CONNECTORS)[N] extends CarrierConnector<infer S> ? S : never };

export const CARRIER_CONNECTOR_NAMES = Object.keys(CARRIER_CONNECTORS) as [CarrierConnectorName, ...CarrierConnectorName[]];

export function isCarrierConnectorName(name: string | null): name is CarrierConnectorName {
  return name !== null && Object.hasOwn(CARRIER_CONNECTORS, name);
}

/**
 * Every connector's settings from the environment, by connector name. Throws the first
 * connector's ZodError, whose issues name the variables at fault.
 */
export function carrierSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): CarrierSettings {
  return Object.fromEntries(CARRIER_CONNECTOR_NAMES.map((name) => [name, carrierConnector(name).settingsFromEnv(env)])) as CarrierSettings;
}

/**
 * Like `carrierSettingsFromEnv`, with every problem as `NAME: reason` instead of a throw, so the
 * config can report them beside its own (unset and empty variables already left out).
 */
export function readCarriers(env: Readonly<Record<string, string | undefined>>): { carriers: CarrierSettings | undefined; problems: string[] } {
  try {
    return { carriers: carrierSettingsFromEnv(env), problems: [] };
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    return { carriers: undefined, problems: envProblems(err) };
  }
}

/** The connector named `name`, typed with its settings. */
export function carrierConnector<N extends CarrierConnectorName>(name: N): CarrierConnector<CarrierSettings[N]> {
  return CARRIER_CONNECTORS[name] as CarrierConnector<CarrierSettings[N]>;
}

/**
 * The name of the connector that tracks shipments of carrier `code` (as any source spells it),
 * or null: a carrier with no connector keeps the status its source gives.
 */
export function resolveCarrier(code: string | null): CarrierConnectorName | null {
  const name = trackingConnectorOf(code);
  return isCarrierConnectorName(name) ? name : null;
}
