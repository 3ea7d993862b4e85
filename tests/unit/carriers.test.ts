/** The one carrier table: what look-ups, the tracking planner and imports see of a carrier code. */
import test from 'ava';
import { CARRIER_CONNECTORS, carrierSettingsFromEnv, isCarrierConnectorName, resolveCarrier } from '../../crawler/connectors/carriers.ts';
import { CARRIERS, carrierNameOf, matchCarrierCodes } from '../../models/carriers.ts';

/** Every code the two earlier tables knew, and the name the look-up's table gave it. */
const NAMED: Record<string, string> = {
  TNT: 'PostNL', TNTEXTRA: 'PostNL', TNTBRIEF: 'PostNL', TNTEXPRESS: 'TNT Express', POSTNL: 'PostNL',
  DHL: 'DHL', DHLFORYOU: 'DHL', DHLDE: 'DHL', DHLGLOBALMAIL: 'DHL', DHLSD: 'DHL', DHLEXPRESS: 'DHL', DHLPARCEL: 'DHL',
  DPDNL: 'DPD', DPDBE: 'DPD', DPD: 'DPD', BPOSTBE: 'bpost', BPOSTBRIEF: 'bpost', BPOST: 'bpost', GLS: 'GLS', UPS: 'UPS',
  FEDEXNL: 'FedEx', FEDEXBE: 'FedEx', FEDEX: 'FedEx', TRANSMISSION: 'Transmission', PACKS: 'Packs', COURIER: 'Courier',
  BUDBEE: 'Budbee', TRUNKRS: 'Trunkrs',
};
/** Every code the tracking connector's table sent to DHL. */
const TRACKED_BY_DHL = ['DHL', 'DHLFORYOU', 'DHLDE', 'DHLGLOBALMAIL', 'DHLSD', 'DHLEXPRESS', 'DHLPAKET', 'DHLPARCEL', 'DHLPARCELNL', 'DHLECOMMERCE'];

test('every code either earlier table knew keeps its name', (t) => {
  for (const [code, name] of Object.entries(NAMED)) t.is(carrierNameOf(code), name, code);
  t.is(carrierNameOf('DHL_Parcel_NL'), 'DHL', 'the tracking-only codes are named too');
  t.is(carrierNameOf('ROYALMAIL'), null);
});

test('every DHL code is tracked by the dhl connector, and no other carrier is polled', (t) => {
  for (const code of TRACKED_BY_DHL) t.is(resolveCarrier(code), 'dhl', code);
  t.is(resolveCarrier('dhl parcel nl'), 'dhl');
  t.is(resolveCarrier('DHL-eCommerce'), 'dhl');
  for (const code of Object.keys(NAMED).filter((c) => !c.startsWith('DHL'))) t.is(resolveCarrier(code), null, code);
  t.deepEqual([...CARRIER_CONNECTORS.dhl.carrierCodes].sort(), [...TRACKED_BY_DHL].sort());
});

test('a look-up by name finds every stored code of the carrier; by code, only that code', (t) => {
  const stored = ['TNT', 'PostNL', 'DHL', 'DHL_DE', 'DHL Parcel NL', 'DPD-NL', 'UPS'];
  t.deepEqual(matchCarrierCodes('postnl', stored), ['TNT', 'PostNL']);
  t.deepEqual(matchCarrierCodes('tnt', stored), ['TNT']);
  t.deepEqual(matchCarrierCodes('DHL', stored), ['DHL', 'DHL_DE', 'DHL Parcel NL']);
  t.deepEqual(matchCarrierCodes('dhl-parcel-nl', stored), ['DHL Parcel NL']);
  t.deepEqual(matchCarrierCodes('fedex', stored), []);
});

test('every connector the carrier table names is registered, and each code belongs to one carrier', (t) => {
  for (const c of CARRIERS) if (c.trackedBy !== null) t.true(isCarrierConnectorName(c.trackedBy), `${c.code}: ${c.trackedBy}`);
  const codes = CARRIERS.flatMap((c) => [c.code, ...c.aliases]);
  t.is(new Set(codes).size, codes.length);
});

test('the environment gives every registered connector its settings, by connector name', (t) => {
  const settings = carrierSettingsFromEnv({ DHL_API_KEY: 'k', DHL_CALLS_PER_DAY: '1000' });
  t.deepEqual(Object.keys(settings), Object.keys(CARRIER_CONNECTORS));
  t.is(settings.dhl.apiKey, 'k');
  t.is(settings.dhl.callsPerDay, 1000);
  t.is(settings.dhl.callsPerSecond, 1);
});
