/**
 * Generated transport for a shipment: carrier code, track & trace in that carrier's barcode
 * style, and the transport events a carrier would have reported by `nowMs` (contract §3, §5).
 */
import type { SeededRandom } from '../prng.ts';
import { formatAmsterdamDateTime, HOUR_MS, DAY_MS } from '../time.ts';
import {
  BOL_LABEL_TRANSPORTERS, FBB_TRANSPORTERS_BE, FBB_TRANSPORTERS_NL, FBR_TRANSPORTERS_BE, FBR_TRANSPORTERS_NL,
  UNTRACKED_TRANSPORTERS,
} from './vocab.ts';
import type { FulfilmentMethod, ShipmentTransport, TransportEventCode } from './wire.ts';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function trackAndTrace(rng: SeededRandom, transporterCode: string): string | undefined {
  switch (transporterCode) {
    case 'TNT':
    case 'TNT-EXTRA':
      return `3S${rng.chars(4, UPPER)}${rng.digits(7)}`; // PostNL, e.g. "3SAOLD1234567"
    case 'DHLFORYOU':
      return `JVGL${rng.digits(20)}`;
    case 'DHL':
    case 'DHL_DE':
      return `00340434${rng.digits(12)}`;
    case 'DPD-NL':
    case 'DPD-BE':
      return `05${rng.digits(12)}`;
    case 'UPS':
      return `1Z${rng.chars(6, UPPER + '0123456789')}${rng.digits(10)}`;
    case 'GLS':
      return rng.digits(12);
    case 'BPOST_BE':
      return `323${rng.digits(21)}`;
    case 'RJP':
      return `RJP${rng.digits(9)}`;
    case 'DYL':
      return `DYL${rng.digits(10)}`;
    case 'FEDEX_NL':
    case 'FEDEX_BE':
      return rng.digits(12);
    default:
      return undefined;
  }
}

/**
 * A plausible carrier timeline: announced when the label is made, scanned in, on its way, then
 * one ending. Events after `nowMs` have not happened yet, so recent shipments have only a few.
 */
function transportEvents(
  rng: SeededRandom,
  shippedAtMs: number,
  pickupPoint: boolean,
  nowMs: number,
): { eventCode: TransportEventCode; eventDateTime: string }[] {
  const timeline: [TransportEventCode, number][] = [];
  let t = shippedAtMs + rng.int(0, 30) * 60_000;
  timeline.push(['PRE_ANNOUNCED', t]);
  t += rng.int(2, 10) * HOUR_MS + rng.int(0, 59) * 60_000;
  timeline.push(['AT_TRANSPORTER', t]);
  t += rng.int(1, 6) * HOUR_MS + rng.int(0, 59) * 60_000;
  timeline.push(['IN_TRANSIT', t]);
  t += rng.int(6, 20) * HOUR_MS + rng.int(0, 59) * 60_000;
  const ending = rng.float();
  if (pickupPoint) {
    timeline.push(['AT_PICK_UP_POINT', t]);
    if (ending < 0.9) timeline.push(['PICKED_UP_AT_PICK_UP_POINT', t + rng.int(2, 96) * HOUR_MS]);
    else timeline.push(['RETURNED_TO_SENDER', t + rng.int(7, 9) * DAY_MS]);
  } else if (ending < 0.88) {
    timeline.push(['DELIVERED_AT_CUSTOMER', t]);
  } else if (ending < 0.97) {
    timeline.push(['DELIVERED_AT_NEIGHBOURS', t]);
  } else {
    timeline.push(['RETURNED_TO_SENDER', t + rng.int(2, 5) * DAY_MS]);
  }
  return timeline
    .filter(([, at]) => at <= nowMs)
    .map(([eventCode, at]) => ({ eventCode, eventDateTime: formatAmsterdamDateTime(at) }));
}

export interface TransportInput {
  transportId: string;
  method: FulfilmentMethod;
  countryCode: 'NL' | 'BE';
  pickupPoint: boolean;
  shippedAtMs: number;
  nowMs: number;
}

export function generateTransport(rng: SeededRandom, input: TransportInput): ShipmentTransport {
  const table =
    input.method === 'FBB'
      ? input.countryCode === 'BE' ? FBB_TRANSPORTERS_BE : FBB_TRANSPORTERS_NL
      : input.countryCode === 'BE' ? FBR_TRANSPORTERS_BE : FBR_TRANSPORTERS_NL;
  const transporterCode = rng.weighted(table);
  const tnt = UNTRACKED_TRANSPORTERS.has(transporterCode) ? undefined : trackAndTrace(rng, transporterCode);
  const viaBolLabel = input.method === 'FBR' && BOL_LABEL_TRANSPORTERS.has(transporterCode) && rng.chance(0.35);
  const events = tnt ? transportEvents(rng, input.shippedAtMs, input.pickupPoint, input.nowMs) : [];
  return {
    transportId: input.transportId,
    transporterCode,
    ...(tnt ? { trackAndTrace: tnt } : {}),
    ...(viaBolLabel ? { shippingLabelId: rng.uuid() } : {}),
    // bol leaves empty arrays out rather than sending [] (contract §2, picqer README).
    ...(events.length > 0 ? { transportEvents: events } : {}),
  };
}
