import type { Knex } from 'knex';

/** Drops the poll rows of these shipments (at most 500): a carrier connector no longer polls them. */
export async function deleteTrackingPolls(knex: Knex | Knex.Transaction, shipmentIds: number[]): Promise<void> {
  await knex('tracking_polls').whereIn('shipment_id', shipmentIds).delete();
}
