/** What can happen, as webhooks subscribe to it (the outbox's `type`, models/domain-events.ts). */
export const EVENT_TYPES = [
  'product.created',
  'product.updated',
  'product.deleted',
  'shipment.created',
  'shipment.status_changed',
  'sync.succeeded',
  'sync.failed',
  'import.succeeded',
  'import.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * The end of a sync run or an import: one per run, always kept in the outbox, subscribed to or
 * not, since the relay counts finished sync runs from them (shipsync_sync_runs_finished_total).
 */
export function isOutcomeEvent(type: EventType): boolean {
  return type.startsWith('sync.') || type.startsWith('import.');
}
