/**
 * Carriers of the generated fulfillments: the company names exactly as Shopify's list of supported
 * tracking companies spells them, tracking numbers in each carrier's own shape, and the public
 * tracking URL Shopify fills in for them.
 */
import type { SeededRandom } from '../prng.ts';
import type { CountryCode } from './records.ts';

export interface Carrier {
  /** FulfillmentTrackingInfo.company */
  company: string;
  number(rng: SeededRandom): string;
  url(number: string, zip: string, country: CountryCode): string;
  /** Where parcels are sorted before the last mile, per destination country (event city). */
  hubs: Partial<Record<CountryCode, { city: string; zip: string }>>;
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const UPPER_DIGITS = `${UPPER}0123456789`;

/** PostNL and DHL Parcel Benelux barcodes: "3S" + a 4-letter customer code + digits. */
function threeS(rng: SeededRandom): string {
  return `3S${rng.chars(4, UPPER)}${rng.digits(rng.pick([7, 9]))}`;
}

const compactZip = (zip: string) => zip.replace(/\s+/g, '');

export const CARRIERS: Record<string, Carrier> = {
  PostNL: {
    company: 'PostNL',
    number: threeS,
    url: (n, zip, country) => `https://jouw.postnl.nl/track-and-trace/${n}-${country}-${compactZip(zip)}`,
    hubs: { NL: { city: 'Nieuwegein', zip: '3439 LM' }, BE: { city: 'Antwerpen', zip: '2030' }, DE: { city: 'Emmerich am Rhein', zip: '46446' } },
  },
  'DHL Parcel': {
    company: 'DHL Parcel',
    // DHL Parcel NL: JVGL + 16 digits (most), 3S codes from shops labelling themselves, SSCCs "00340…".
    number: (rng) => rng.weighted([
      [`JVGL${rng.digits(16)}`, 6],
      [threeS(rng), 3],
      [`00340434${rng.digits(12)}`, 1],
    ] as const),
    url: (n, zip, country) => `https://my.dhlecommerce.nl/home/tracktrace/${n}/${compactZip(zip)}?lang=nl&country=${country}`,
    hubs: { NL: { city: 'Utrecht', zip: '3542 AB' }, BE: { city: 'Mechelen', zip: '2800' }, DE: { city: 'Bonn', zip: '53113' } },
  },
  'DHL Express': {
    company: 'DHL Express',
    number: (rng) => rng.digits(10),
    url: (n) => `https://www.dhl.com/en/express/tracking.html?AWB=${n}&brand=DHL`,
    hubs: { NL: { city: 'Amsterdam', zip: '1118 ZG' }, BE: { city: 'Brussel', zip: '1130' }, DE: { city: 'Leipzig', zip: '04435' } },
  },
  'DHL eCommerce': {
    company: 'DHL eCommerce',
    number: (rng) => `GM${rng.digits(18)}`,
    url: (n) => `https://webtrack.dhlecs.com/orders?trackingNumber=${n}`,
    hubs: { NL: { city: 'Utrecht', zip: '3542 AB' }, BE: { city: 'Mechelen', zip: '2800' }, DE: { city: 'Köln', zip: '50667' } },
  },
  DPD: {
    company: 'DPD',
    number: (rng) => `0${rng.digits(13)}`,
    url: (n) => `https://tracking.dpd.de/parcelstatus?query=${n}&locale=nl_NL`,
    hubs: { NL: { city: 'Oirschot', zip: '5688 HP' }, BE: { city: 'Nivelles', zip: '1400' }, DE: { city: 'Aschaffenburg', zip: '63741' } },
  },
  UPS: {
    company: 'UPS',
    number: (rng) => `1Z${rng.chars(6, UPPER_DIGITS)}${rng.digits(2)}${rng.digits(8)}`,
    url: (n) => `https://www.ups.com/track?loc=nl_NL&tracknum=${n}`,
    hubs: { NL: { city: 'Eindhoven', zip: '5657 DR' }, BE: { city: 'Brussel', zip: '1130' }, DE: { city: 'Köln', zip: '50997' } },
  },
  GLS: {
    company: 'GLS',
    number: (rng) => rng.digits(11),
    url: (n) => `https://gls-group.com/track/${n}`,
    hubs: { NL: { city: 'Nieuwegein', zip: '3438 AM' }, BE: { city: 'Gent', zip: '9052' }, DE: { city: 'Neuenstein', zip: '36286' } },
  },
  bpost: {
    company: 'bpost',
    number: (rng) => `3232${rng.digits(20)}`,
    url: (n) => `https://track.bpost.cloud/btr/web/#/search?itemCode=${n}&lang=nl`,
    hubs: { BE: { city: 'Brussel', zip: '1000' }, NL: { city: 'Roosendaal', zip: '4705 RA' }, DE: { city: 'Köln', zip: '50667' } },
  },
};

/** Which carriers ship to each destination country, and how often. */
export const CARRIER_MIX: Record<CountryCode, readonly (readonly [string, number])[]> = {
  NL: [['PostNL', 45], ['DHL Parcel', 28], ['DPD', 9], ['DHL Express', 6], ['UPS', 6], ['GLS', 6]],
  BE: [['bpost', 32], ['PostNL', 22], ['DPD', 18], ['DHL Parcel', 16], ['GLS', 8], ['UPS', 4]],
  DE: [['DPD', 28], ['DHL Express', 20], ['GLS', 18], ['DHL eCommerce', 16], ['UPS', 18]],
};
