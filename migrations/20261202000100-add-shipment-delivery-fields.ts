import type { Knex } from 'knex';

/**
 * What users need of a shipment beyond its status (issue 12): the delivery promised to the
 * customer, the carrier's estimate, when the order was placed, the pickup point, bol's transport
 * and label ids, who delivers, the receiver's name and the carrier's tracking page; and the
 * humidity and wind of a location's weather. All nullable: older rows fill in at their next sync
 * or poll.
 *
 * `(status, promised_delivery_at)` serves `?attention=late`: the shipments that are not final and
 * past their promise are a few range scans of it (one per status that is not final), however many
 * delivered shipments lie behind their promise too.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('shipments', (t) => {
    t.string('receiver_name', 255).nullable();
    t.string('tracking_url', 1024).nullable();
    t.bigInteger('order_placed_at').nullable();
    t.bigInteger('promised_delivery_at').nullable();
    t.bigInteger('estimated_delivery_at').nullable();
    t.bigInteger('estimated_delivery_from').nullable();
    t.bigInteger('estimated_delivery_to').nullable();
    t.string('carrier_remark', 1024).nullable();
    t.string('proof_of_delivery_url', 1024).nullable();
    t.string('pickup_point_code', 64).nullable();
    t.string('pickup_point_name', 255).nullable();
    t.string('transport_id', 64).nullable();
    t.string('shipping_label_id', 64).nullable();
    t.string('distribution_party', 32).nullable();
  });
  await knex.schema.alterTable('shipments', (t) => {
    t.index(['status', 'promised_delivery_at'], 'shipments_status_promised_idx');
  });
  await knex.schema.alterTable('locations', (t) => {
    t.double('humidity_pct').nullable();
    t.double('wind_kph').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('locations', (t) => {
    t.dropColumn('humidity_pct');
    t.dropColumn('wind_kph');
  });
  await knex.schema.alterTable('shipments', (t) => {
    t.dropIndex(['status', 'promised_delivery_at'], 'shipments_status_promised_idx');
  });
  await knex.schema.alterTable('shipments', (t) => {
    for (const c of ['receiver_name', 'tracking_url', 'order_placed_at', 'promised_delivery_at', 'estimated_delivery_at', 'estimated_delivery_from', 'estimated_delivery_to', 'carrier_remark', 'proof_of_delivery_url', 'pickup_point_code', 'pickup_point_name', 'transport_id', 'shipping_label_id', 'distribution_party']) t.dropColumn(c);
  });
}
