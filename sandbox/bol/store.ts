/**
 * The sandbox's shipments, newest first, indexed the ways the endpoints read them: per
 * fulfilment method (the list is crawled per method, contract §2), per id, per order id.
 */
import type { SandboxShipment } from './generate.ts';
import { SHIPMENTS_PAGE_SIZE, type FulfilmentMethod } from './wire.ts';

export class ShipmentStore {
  private all: SandboxShipment[] = [];
  private readonly byMethod: Record<FulfilmentMethod, SandboxShipment[]> = { FBR: [], FBB: [] };
  private readonly byId = new Map<string, SandboxShipment>();

  /** Newest first. */
  list(): readonly SandboxShipment[] {
    return this.all;
  }

  newest(): SandboxShipment | undefined {
    return this.all[0];
  }

  /** Adds shipments that are newer than everything stored (given newest first): they go on top. */
  prepend(newerFirst: readonly SandboxShipment[]): void {
    this.all = [...newerFirst, ...this.all];
    for (const method of ['FBR', 'FBB'] as const) {
      this.byMethod[method] = [...newerFirst.filter((s) => s.fulfilmentMethod === method), ...this.byMethod[method]];
    }
    for (const s of newerFirst) this.byId.set(s.shipmentId, s);
  }

  get(id: string): SandboxShipment | undefined {
    return this.byId.get(id);
  }

  /** One page (1-based) of a method's shipments; empty past the end. */
  page(method: FulfilmentMethod, page: number): readonly SandboxShipment[] {
    return pageOf(this.byMethod[method], page);
  }

  /** One page of an order's shipments, whatever their method ("order-id … the default fulfilment-method is ignored", contract §2). */
  orderPage(orderId: string, page: number): readonly SandboxShipment[] {
    return pageOf(this.all.filter((s) => s.detail.order.orderId === orderId), page);
  }
}

function pageOf(items: readonly SandboxShipment[], page: number): readonly SandboxShipment[] {
  const start = (page - 1) * SHIPMENTS_PAGE_SIZE;
  return start >= items.length ? [] : items.slice(start, start + SHIPMENTS_PAGE_SIZE);
}
