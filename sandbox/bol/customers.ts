/**
 * Generated bol customers: a delivery address (shipmentDetails) and a billing address
 * (billingDetails) in the NL and BE formats bol serves (contract §3).
 */
import type { SeededRandom } from '../prng.ts';
import {
  BE_CITIES, BE_STREETS_FR, BE_STREETS_NL, COMPANIES, EXTRA_ADDRESS_INFO, FIRST_NAMES_FEMALE, FIRST_NAMES_MALE,
  NL_CITIES, NL_FORBIDDEN_POSTCODE_PAIRS, NL_POSTCODE_LETTERS, NL_STREETS, SURNAME_PREFIXES, SURNAMES,
} from './vocab.ts';
import type { BillingDetails, Language, Person, PostalAddress, Salutation, ShipmentDetails } from './wire.ts';

/** A generated address carries the language bol sends with the delivery details. */
interface Address extends PostalAddress {
  language: Language;
}

export interface Customer {
  shipmentDetails: ShipmentDetails;
  billingDetails: BillingDetails;
}

/**
 * An NL postcode as bol's spec writes it, `1234AB` (ShipmentDetails.zipCode, example `1111ZZ`),
 * and in about one shipment in four with the space (`1234 AB`), as real data has both. The form
 * follows from the postcode itself, so the generated sequence stays what it was.
 */
function nlPostcode(rng: SeededRandom, from: number, to: number): string {
  let letters = rng.chars(2, NL_POSTCODE_LETTERS);
  while (NL_FORBIDDEN_POSTCODE_PAIRS.includes(letters)) letters = rng.chars(2, NL_POSTCODE_LETTERS);
  const digits = rng.int(from, to);
  const spaced = (digits + letters.charCodeAt(0) + letters.charCodeAt(1)) % 4 === 0;
  return spaced ? `${digits} ${letters}` : `${digits}${letters}`;
}

function address(rng: SeededRandom): Address {
  const houseNumber = String(rng.weighted([[rng.int(1, 40), 6], [rng.int(41, 250), 3], [rng.int(251, 999), 1]]));
  const extraAddressInformation = rng.chance(0.05) ? rng.pick(EXTRA_ADDRESS_INFO) : undefined;
  if (rng.chance(0.75)) {
    const place = rng.weighted(NL_CITIES.map((c) => [c, c.weight] as const));
    const ext = rng.chance(0.15) ? rng.pick(['A', 'B', 'C', 'H', '1', '2', '3', 'hs', 'bis', 'II']) : undefined;
    return {
      streetName: rng.pick(NL_STREETS),
      houseNumber,
      ...(ext ? { houseNumberExtension: ext } : {}),
      ...(extraAddressInformation ? { extraAddressInformation } : {}),
      zipCode: nlPostcode(rng, place.postcodeFrom, place.postcodeTo),
      city: place.city,
      countryCode: 'NL',
      language: rng.chance(0.97) ? 'nl' : 'fr',
    };
  }
  const place = rng.weighted(BE_CITIES.map((c) => [c, c.weight] as const));
  const french = place.region === 'fr' || (place.region === 'both' && rng.chance(0.6));
  const ext = rng.chance(0.12) ? rng.pick(['A', 'B', 'bus 1', 'bus 2', 'bus 12', 'bis']) : undefined;
  return {
    streetName: rng.pick(french ? BE_STREETS_FR : BE_STREETS_NL),
    houseNumber,
    ...(ext ? { houseNumberExtension: ext } : {}),
    ...(extraAddressInformation ? { extraAddressInformation } : {}),
    zipCode: place.postcode,
    city: place.city,
    countryCode: 'BE',
    language: french ? 'fr-BE' : 'nl-BE',
  };
}

function person(rng: SeededRandom): Person {
  const female = rng.chance(0.5);
  const firstName = rng.pick(female ? FIRST_NAMES_FEMALE : FIRST_NAMES_MALE);
  // Dutch surnames keep their prefix ("van den Berg") in the surname field.
  const surname = `${rng.weighted(SURNAME_PREFIXES)}${rng.pick(SURNAMES)}`;
  const salutation: Salutation = rng.chance(0.05) ? 'UNKNOWN' : female ? 'FEMALE' : 'MALE';
  return { salutation, firstName, surname };
}

/** bol never shows the buyer's real address: it hands out a scrambled relay address. */
function scrambledEmail(rng: SeededRandom): string {
  return `${rng.chars(rng.int(26, 32), 'abcdefghijklmnopqrstuvwxyz0123456789')}@verkopen.bol.com`;
}

function phoneNumber(rng: SeededRandom, country: 'NL' | 'BE'): string {
  return country === 'NL' ? `06${rng.digits(8)}` : `04${rng.int(60, 99)}${rng.digits(6)}`;
}

export function generateCustomer(rng: SeededRandom, pickupPointName?: string): Customer {
  const who = person(rng);
  const where = address(rng);
  const email = scrambledEmail(rng);
  const company = rng.chance(0.08) ? rng.pick(COMPANIES) : undefined;
  const { language, ...postal } = where;
  const shipmentDetails: ShipmentDetails = {
    ...(pickupPointName ? { pickupPointName } : {}),
    ...who,
    ...postal,
    email,
    ...(company ? { company } : {}),
    ...(rng.chance(0.85) ? { deliveryPhoneNumber: phoneNumber(rng, where.countryCode) } : {}),
    language,
  };

  // Most buyers are billed where they receive; some send to work or to a relative.
  const billedElsewhere = rng.chance(0.15);
  const billingWho = billedElsewhere && rng.chance(0.4) ? person(rng) : who;
  const billingWhere = billedElsewhere ? address(rng) : where;
  const { language: _billingLanguage, ...billingPostal } = billingWhere;
  const billingDetails: BillingDetails = {
    ...billingWho,
    ...billingPostal,
    email,
    ...(company ? { company } : {}),
    ...(company && billingPostal.countryCode === 'NL' ? { vatNumber: `NL${rng.digits(9)}B01`, kvkNumber: rng.digits(8) } : {}),
    ...(company && billingPostal.countryCode === 'BE' ? { vatNumber: `BE0${rng.digits(9)}` } : {}),
    ...(rng.chance(0.1) ? { orderReference: `PO-${rng.digits(6)}` } : {}),
  };
  return { shipmentDetails, billingDetails };
}
