/**
 * Plausible DHL timelines for `generateShipment`: announced → processed at origin → at the
 * destination depot → out for delivery → delivered, and now and then a failed attempt, a
 * service-point pickup or an address problem. The texts are DHL's English parcel texts, so a
 * client has to read them to tell out-for-delivery and pickup apart from transit (contract).
 * The same seed and tracking number always give the same timeline.
 */
import { z } from 'zod';
import { SeededRandom, hash32 } from '../prng.ts';
import { HOUR_MS, DAY_MS } from '../time.ts';
import { NL_POSTCODE_LETTERS } from '../bol/vocab.ts';
import type { DhlShipmentExtras, DhlTimelineEvent } from './store.ts';
import type { DhlAddress } from './wire.ts';
import destinations from './destinations.json' with { type: 'json' };

export const DHL_TEXTS = {
  announced: 'The instruction data for this shipment have been provided by the sender to DHL electronically',
  pickedUp: 'The shipment has been picked up',
  originCenter: 'The shipment has been processed in the parcel center of origin',
  destinationCenter: 'The shipment has been processed in the destination parcel center',
  outForDelivery: 'The shipment has been loaded onto the delivery vehicle',
  delivered: 'The shipment has been delivered',
  attemptFailed: 'The shipment could not be delivered',
  readyForPickup: 'The shipment is ready for pickup at the parcel shop',
  pickedUpByRecipient: 'The shipment has been picked up from the parcel shop by the recipient',
  addressProblem: 'The shipment could not be delivered because the address is incorrect',
} as const;

const ORIGINS: readonly DhlAddress[] = [
  { countryCode: 'DE', postalCode: '53113', addressLocality: 'Bonn' },
  { countryCode: 'DE', postalCode: '04435', addressLocality: 'Schkeuditz' },
  { countryCode: 'NL', postalCode: '3542 AD', addressLocality: 'Utrecht' },
  { countryCode: 'NL', postalCode: '2665 JZ', addressLocality: 'Bleiswijk' },
];

/**
 * Where generated parcels go (destinations.json): a town, its range of postal codes, the DHL
 * hub that sorts for it, and how often it is drawn (its weight).
 */
const destinationSchema = z.object({
  countryCode: z.enum(['NL', 'DE', 'BE']),
  city: z.string(),
  postcodeFrom: z.number().int(),
  postcodeTo: z.number().int(),
  hub: z.string(),
  weight: z.number().positive(),
});

type Destination = Omit<z.infer<typeof destinationSchema>, 'weight'>;

const DESTINATIONS: readonly (readonly [Destination, number])[] = z
  .array(destinationSchema)
  .parse(destinations)
  .map(({ weight, ...destination }) => [destination, weight] as const);

function postalCode(rng: SeededRandom, d: Destination): string {
  const n = rng.int(d.postcodeFrom, d.postcodeTo);
  if (d.countryCode === 'NL') return `${n} ${rng.chars(2, NL_POSTCODE_LETTERS).replace(/^S[ADS]$/, 'AB')}`;
  return d.countryCode === 'DE' ? String(n).padStart(5, '0') : String(n);
}

/** DHL 1.5.8's finer texts of an event (statusDetailed, remark, nextSteps), as DHL sends them on some. */
type Note = Pick<DhlTimelineEvent, 'statusDetailed' | 'remark' | 'nextSteps'>;

type Ending = 'delivered' | 'failedThenRedelivered' | 'failedThenPickup' | 'pickup' | 'addressProblem';

export function generateTimeline(seed: number, trackingNumber: string, startAt: number): { timeline: DhlTimelineEvent[]; extras: DhlShipmentExtras } {
  const rng = new SeededRandom(hash32(`${seed}\n${trackingNumber}`));
  const origin = rng.pick(ORIGINS);
  const d = rng.weighted(DESTINATIONS);
  const destination: DhlAddress = { countryCode: d.countryCode, postalCode: postalCode(rng, d), addressLocality: d.city };
  const hub: DhlAddress = { countryCode: d.countryCode, addressLocality: d.hub };
  const home: DhlAddress = { countryCode: d.countryCode, addressLocality: d.city };
  const shop: DhlAddress = { countryCode: d.countryCode, postalCode: destination.postalCode!, addressLocality: d.city };

  let t = Math.floor(startAt / 1000) * 1000;
  const after = (minHours: number, maxHours: number) => (t += rng.int(minHours * 60, maxHours * 60) * 60_000);
  const timeline: DhlTimelineEvent[] = [];
  const push = (statusCode: DhlTimelineEvent['statusCode'], status: string, location: DhlAddress | undefined, description?: string, note: Note = {}) =>
    timeline.push({ at: t, statusCode, status, ...(description !== undefined ? { description } : {}), ...note, ...(location ? { location } : {}) });

  push('pre-transit', DHL_TEXTS.announced, { countryCode: origin.countryCode! }, DHL_TEXTS.announced);
  after(2, 8);
  push('transit', DHL_TEXTS.pickedUp, origin, DHL_TEXTS.pickedUp);
  after(1, 4);
  push('transit', DHL_TEXTS.originCenter, origin);
  after(6, 16);
  push('transit', DHL_TEXTS.destinationCenter, hub);

  const ending = rng.weighted<Ending>([['delivered', 70], ['failedThenRedelivered', 8], ['failedThenPickup', 7], ['pickup', 12], ['addressProblem', 3]]);
  const outForDelivery = () => {
    after(3, 10);
    push('transit', DHL_TEXTS.outForDelivery, hub, 'The shipment is out for delivery and will be delivered today.', { statusDetailed: 'out-for-delivery' });
  };
  const delivered = () => {
    after(1, 6);
    push('delivered', DHL_TEXTS.delivered, home, rng.chance(0.8) ? 'Delivered to the recipient.' : 'Delivered to a neighbour.');
  };
  const pickupAtShop = () => {
    after(1, 5);
    push('transit', DHL_TEXTS.readyForPickup, shop, 'The shipment can be collected from the DHL ServicePoint for 7 days.', {
      statusDetailed: 'ready-for-pickup',
      nextSteps: 'Collect the parcel with the notification and an ID within 7 days.',
    });
    t += rng.int(2, 48) * HOUR_MS;
    push('delivered', DHL_TEXTS.pickedUpByRecipient, shop);
  };
  const failedAttempt = () => {
    after(1, 6);
    push('failure', DHL_TEXTS.attemptFailed, home, 'A delivery attempt failed: the recipient was not at home. A notification card has been left.', {
      statusDetailed: 'delivery-attempt-failed',
      remark: 'The recipient was not at home.',
      nextSteps: 'A new delivery attempt is made on the next working day.',
    });
  };

  switch (ending) {
    case 'delivered':
      outForDelivery();
      delivered();
      break;
    case 'failedThenRedelivered':
      outForDelivery();
      failedAttempt();
      t = Math.max(t, Math.floor(t / DAY_MS) * DAY_MS + DAY_MS + 6 * HOUR_MS);
      outForDelivery();
      delivered();
      break;
    case 'failedThenPickup':
      outForDelivery();
      failedAttempt();
      pickupAtShop();
      break;
    case 'pickup':
      pickupAtShop();
      break;
    case 'addressProblem':
      outForDelivery();
      after(1, 6);
      push('failure', DHL_TEXTS.addressProblem, home, 'The address is incomplete. DHL is trying to determine the correct address.', {
        statusDetailed: 'address-problem',
        remark: 'The address is incomplete.',
        nextSteps: 'DHL is trying to determine the correct address.',
      });
      break;
  }
  return { timeline, extras: { origin: { ...origin }, destination } };
}
