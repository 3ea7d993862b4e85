import { Model } from 'objection';
import { BaseModel } from './base.ts';

export const SHIPMENT_STATUSES = [
  'pending',
  'info_received',
  'in_transit',
  'out_for_delivery',
  'available_for_pickup',
  'attempt_fail',
  'delivered',
  'returned',
  'exception',
  'expired',
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];
/** A shipment's status until an event says otherwise (the column's default). */
export const INITIAL_STATUS: ShipmentStatus = 'pending';
export const FINAL_STATUSES: readonly ShipmentStatus[] = ['delivered', 'returned', 'expired'];

export class ShipmentItem extends Model {
  static override tableName = 'shipment_items';
  id!: number;
  shipment_id!: number;
  item_key!: string;
  ean!: string | null;
  sku!: string | null;
  title!: string | null;
  quantity!: number;
  quantity_shipped!: number | null;
  unit_price!: string | number | null;
}

export class TrackingEvent extends Model {
  static override tableName = 'tracking_events';
  id!: number;
  shipment_id!: number;
  source!: string;
  status!: ShipmentStatus | null;
  raw_status!: string;
  description!: string | null;
  location!: string | null;
  occurred_at!: number;
  dedupe_key!: string;
  created_at!: number;
}

export class Shipment extends BaseModel {
  static override tableName = 'shipments';

  id!: number;
  shop_id!: number | null;
  source!: string;
  platform_id!: string | null;
  order_id!: string | null;
  reference!: string | null;
  fulfilment_method!: string | null;
  carrier!: string | null;
  tracking_number!: string | null;
  status!: ShipmentStatus;
  status_at!: number | null;
  shipped_at!: number | null;
  receiver_postal_code!: string | null;
  receiver_city!: string | null;
  receiver_country!: string | null;
  receiver_phone!: string | null;
  phone_key!: string | null;
  receiver_name!: string | null;
  tracking_url!: string | null;
  order_placed_at!: number | null;
  /** The delivery promised to the customer (a date-only promise: the end of that day, see crawler/connectors/bol/parse.ts). */
  promised_delivery_at!: number | null;
  /** The carrier's estimate, as its last poll gave it: a time, or a window. */
  estimated_delivery_at!: number | null;
  estimated_delivery_from!: number | null;
  estimated_delivery_to!: number | null;
  carrier_remark!: string | null;
  proof_of_delivery_url!: string | null;
  pickup_point_code!: string | null;
  pickup_point_name!: string | null;
  transport_id!: string | null;
  shipping_label_id!: string | null;
  distribution_party!: string | null;
  synced_run_id!: number | null;
  items?: ShipmentItem[];
  events?: TrackingEvent[];

  static override get relationMappings() {
    return {
      items: {
        relation: Model.HasManyRelation,
        modelClass: ShipmentItem,
        join: { from: 'shipments.id', to: 'shipment_items.shipment_id' },
      },
      events: {
        relation: Model.HasManyRelation,
        modelClass: TrackingEvent,
        join: { from: 'shipments.id', to: 'tracking_events.shipment_id' },
      },
    };
  }
}
