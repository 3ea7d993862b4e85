import type { Knex } from 'knex';
import { FINAL_STATUSES, type ShipmentStatus } from '../../models/shipment.ts';
import { deletePollsOf, upsertWaitingPolls } from '../../models/tracking-polls.ts';
import { resolveCarrier, type CarrierConnectorName } from '../connectors/carriers.ts';

/**
 * Carrier tracking polls: which shipments a carrier connector tracks (`tracking_polls`, one row
 * per shipment) and where each connector's API key stands (`tracking_keys`; their statements are
 * models/tracking-polls.ts). Terminology:
 * - poll: one tracking call for one shipment;
 * - state of a poll row: `waiting` (due at `next_poll_at`), `planned` (the clock put it on its
 *   key's chain, spending budget), `stopped` (the carrier does not know it a day after it was
 *   made: not polled again; the expiry schedule ends it after 30 days without events);
 * - priority: where the daily budget goes first, lower first (contract dhl-tracking.md).
 */

export const DAY_MS = 86_400_000;

/** The time between two polls of one shipment, its day's polls spread evenly (the connector's `shipmentPolls.maxPerDay`). */
export function pollSpacingMs(maxPerDay: number): number {
  return DAY_MS / maxPerDay;
}

/** Days since the epoch, UTC: DHL's quota resets at 00:00 GMT. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export function priorityOf(status: ShipmentStatus): number {
  if (status === 'out_for_delivery') return 0;
  if (status === 'in_transit') return 1;
  return 2;
}

export function isFinal(status: ShipmentStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** The connector that polls this shipment, or null (no tracking number, or no connector for its carrier). */
export function trackedBy(s: { carrier: string | null; tracking_number: string | null }): CarrierConnectorName | null {
  if (!s.tracking_number?.trim()) return null;
  return resolveCarrier(s.carrier);
}

/**
 * Brings poll rows in line with shipments as they are now: a new or changed shipment that a
 * connector tracks and that is not final gets a row (due at once), or its priority follows its
 * status; a final one, or one whose carrier has no connector, loses its row. Idempotent.
 */
export async function enrolShipments(knex: Knex, shipments: { id: number; carrier: string | null; tracking_number: string | null; status: ShipmentStatus }[], now: number): Promise<void> {
  const enrol = shipments.filter((s) => trackedBy(s) !== null && !isFinal(s.status));
  const drop = shipments.filter((s) => trackedBy(s) === null || isFinal(s.status)).map((s) => s.id);
  if (drop.length > 0) await deletePollsOf(knex, drop);
  if (enrol.length === 0) return;
  await upsertWaitingPolls(knex, enrol.map((s) => ({ shipment_id: s.id, carrier: trackedBy(s)!, priority: priorityOf(s.status) })), now);
}
