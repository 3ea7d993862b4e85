/**
 * The simulator's shipments: each a timeline of future and past events. An event is visible once
 * the sandbox clock has reached its time, so a shipment "moves" as (simulated) time passes, and a
 * shipment whose first event lies in the future is unknown to DHL yet (404), as a fresh label is.
 */
import { hash32 } from '../prng.ts';
import type { DhlAddress, DhlStatusCode, DhlWireAnswer, DhlWireEvent } from './wire.ts';
import { formatDhlTimestamp } from './zones.ts';

/** One event of a shipment's timeline, as a test writes it. */
export interface DhlTimelineEvent {
  /** Epoch ms at which the event happens (and becomes visible). */
  at: number;
  statusCode: DhlStatusCode;
  status: string;
  description?: string;
  location?: DhlAddress;
}

export interface DhlShipmentExtras {
  /** Default `parcel-de` (with a German destination), `parcel-nl` (NL/BE), else `express`. */
  service?: string;
  origin?: DhlAddress;
  destination?: DhlAddress;
}

interface StoredShipment {
  trackingNumber: string;
  service: string;
  origin: DhlAddress | undefined;
  destination: DhlAddress | undefined;
  timeline: DhlTimelineEvent[];
}

/** Services whose answers carry postal codes only when asked with the right `recipientPostalCode` (contract, "Request"). */
const POSTAL_CODE_GUARDED = new Set(['parcel-de', 'parcel-nl']);

export class DhlShipmentStore {
  private readonly byNumber = new Map<string, StoredShipment>();

  constructor(private readonly seed: number) {}

  /** Registers (or replaces) a shipment; the timeline is kept in time order. */
  put(trackingNumber: string, timeline: readonly DhlTimelineEvent[], extras: DhlShipmentExtras = {}): void {
    const events = timeline.map((e) => ({ ...e, ...(e.location ? { location: { ...e.location } } : {}) })).sort((a, b) => a.at - b.at);
    for (const e of events) if (!Number.isFinite(e.at)) throw new RangeError(`DHL sandbox: event time of ${trackingNumber} must be epoch ms`);
    const destinationCountry = extras.destination?.countryCode?.toUpperCase();
    const service = extras.service ?? (destinationCountry === 'DE' ? 'parcel-de' : destinationCountry === 'NL' || destinationCountry === 'BE' ? 'parcel-nl' : 'express');
    this.byNumber.set(normaliseNumber(trackingNumber), { trackingNumber, service, origin: extras.origin, destination: extras.destination, timeline: events });
  }

  has(trackingNumber: string): boolean {
    return this.byNumber.has(normaliseNumber(trackingNumber));
  }

  /** The answer for a tracking number at `nowMs`, or null (404) when DHL knows nothing of it yet. */
  answer(trackingNumber: string, nowMs: number, recipientPostalCode: string | undefined): DhlWireAnswer | null {
    const s = this.byNumber.get(normaliseNumber(trackingNumber));
    if (!s) return null;
    const visible = s.timeline.filter((e) => e.at <= nowMs);
    if (visible.length === 0) return null;
    const destinationPostal = s.destination?.postalCode;
    const full = !POSTAL_CODE_GUARDED.has(s.service) || !destinationPostal || (recipientPostalCode !== undefined && samePostalCode(recipientPostalCode, destinationPostal));
    const address = (a: DhlAddress | undefined): DhlAddress | undefined => {
      if (!a) return undefined;
      const out: DhlAddress = {};
      if (a.countryCode) out.countryCode = a.countryCode;
      if (a.postalCode && full) out.postalCode = a.postalCode;
      if (a.addressLocality) out.addressLocality = a.addressLocality;
      return Object.keys(out).length > 0 ? out : undefined;
    };
    const render = (e: DhlTimelineEvent, index: number): DhlWireEvent => {
      const where = address(e.location);
      return {
        timestamp: formatDhlTimestamp(e.at, e.location?.countryCode, this.withOffset(s.trackingNumber, index)),
        ...(where ? { location: { address: where } } : {}),
        statusCode: e.statusCode,
        status: e.status,
        ...(e.description !== undefined ? { description: e.description } : {}),
      };
    };
    const events = visible.map(render).reverse();
    const origin = address(s.origin);
    const destination = address(s.destination);
    const last = visible[visible.length - 1]!;
    return {
      shipments: [
        {
          id: s.trackingNumber,
          service: s.service,
          ...(origin ? { origin: { address: origin } } : {}),
          ...(destination ? { destination: { address: destination } } : {}),
          status: events[0]!,
          details: {
            totalNumberOfPieces: 1,
            pieceIds: [s.trackingNumber],
            ...(full && last.statusCode === 'delivered' ? { proofOfDeliverySignedAvailable: false } : {}),
          },
          events,
        },
      ],
    };
  }

  /** About one timestamp in three has no offset, fixed per (seed, shipment, event) so answers repeat. */
  private withOffset(trackingNumber: string, index: number): boolean {
    return hash32(`${this.seed}\n${trackingNumber}\n${index}`) % 3 !== 0;
  }
}

function normaliseNumber(n: string): string {
  return n.replace(/\s+/g, '').toUpperCase();
}

function samePostalCode(a: string, b: string): boolean {
  return a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();
}

