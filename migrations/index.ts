import type { Knex } from 'knex';
import * as createShops from './20261122000100-create-shops.ts';
import * as createShopCredentials from './20261122000200-create-shop-credentials.ts';
import * as createSyncRuns from './20261122000300-create-sync-runs.ts';
import * as createShipments from './20261122000400-create-shipments.ts';
import * as createShipmentItems from './20261122000500-create-shipment-items.ts';
import * as createTrackingEvents from './20261122000600-create-tracking-events.ts';
import * as createDomainEvents from './20261122000700-create-domain-events.ts';
import * as createClockTables from './20261122000750-create-clock-tables.ts';
import * as createTrackingPolls from './20261122000751-create-tracking-polls.ts';
import * as createLocations from './20261122000752-create-locations.ts';
import * as createProducts from './20261122000800-create-products.ts';
import * as createImports from './20261122000801-create-imports.ts';
import * as addShipmentFileColumns from './20261122000802-add-shipment-file-columns.ts';
import * as createWebhooks from './20261122000900-create-webhooks.ts';
import * as createWebhookDeliveries from './20261122000901-create-webhook-deliveries.ts';
import * as addImportProvenance from './20261122000910-add-import-provenance.ts';
import * as addTokenRotation from './20261201000100-add-token-rotation.ts';
import * as addSyncRunCursor from './20261201000200-add-sync-run-cursor.ts';
import * as addShopNextSync from './20261201000300-add-shop-next-sync.ts';
import * as addShopSendingSince from './20261201000400-add-shop-sending-since.ts';
import * as addShipmentDeliveryFields from './20261202000100-add-shipment-delivery-fields.ts';
import * as addRetentionIndexes from './20261202000500-add-retention-indexes.ts';
import * as createDeletions from './20261202000510-create-deletions.ts';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations are listed here rather than discovered on disk: knex's file loader and ESM + tsx
 * disagree about module loading, and an explicit list makes the order reviewable.
 */
const migrations: Record<string, Migration> = {
  '20261122000100-create-shops': createShops,
  '20261122000200-create-shop-credentials': createShopCredentials,
  '20261122000300-create-sync-runs': createSyncRuns,
  '20261122000400-create-shipments': createShipments,
  '20261122000500-create-shipment-items': createShipmentItems,
  '20261122000600-create-tracking-events': createTrackingEvents,
  '20261122000700-create-domain-events': createDomainEvents,
  '20261122000750-create-clock-tables': createClockTables,
  '20261122000751-create-tracking-polls': createTrackingPolls,
  '20261122000752-create-locations': createLocations,
  '20261122000800-create-products': createProducts,
  '20261122000801-create-imports': createImports,
  '20261122000802-add-shipment-file-columns': addShipmentFileColumns,
  '20261122000900-create-webhooks': createWebhooks,
  '20261122000901-create-webhook-deliveries': createWebhookDeliveries,
  '20261122000910-add-import-provenance': addImportProvenance,
  '20261201000100-add-token-rotation': addTokenRotation,
  '20261201000200-add-sync-run-cursor': addSyncRunCursor,
  '20261201000300-add-shop-next-sync': addShopNextSync,
  '20261201000400-add-shop-sending-since': addShopSendingSince,
  '20261202000100-add-shipment-delivery-fields': addShipmentDeliveryFields,
  '20261202000500-add-retention-indexes': addRetentionIndexes,
  '20261202000510-create-deletions': createDeletions,
};

export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return Object.keys(migrations);
  },
  getMigrationName(name) {
    return name;
  },
  async getMigration(name) {
    const m = migrations[name];
    if (!m) throw new Error(`Unknown migration ${name}`);
    return m;
  },
};

/** Runs every migration not yet applied; returns the names it applied. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource, tableName: 'knex_migrations' })) as [number, string[]];
  return applied;
}
