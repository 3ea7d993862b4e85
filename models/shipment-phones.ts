import type { Knex } from 'knex';

/**
 * Gives a stored shipment the receiver's phone when it has none yet (no `phone_key`): a phone the
 * shipment already has, from its platform or an earlier file, is kept.
 */
export async function fillShipmentPhone(trx: Knex.Transaction, id: number, phone: string, phoneKey: string | null): Promise<void> {
  await trx('shipments').where({ id }).whereNull('phone_key').update({ receiver_phone: phone, phone_key: phoneKey });
}
