import type { Knex } from 'knex';
import * as createShops from './20261122000100-create-shops.ts';
import * as createShopCredentials from './20261122000200-create-shop-credentials.ts';
import * as createSyncRuns from './20261122000300-create-sync-runs.ts';
import * as createShipments from './20261122000400-create-shipments.ts';
import * as createShipmentItems from './20261122000500-create-shipment-items.ts';
import * as createTrackingEvents from './20261122000600-create-tracking-events.ts';
import * as createDomainEvents from './20261122000700-create-domain-events.ts';

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
