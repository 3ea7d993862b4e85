/**
 * The two shipment resources behind the gateway: the paged list and the detail (contract §2, §3).
 * These only see requests that were authenticated, allowed by the rate limiter and not hit by an
 * injected fault.
 */
import { jsonReply, textReply, type Reply } from '../http.ts';
import type { SandboxShipment } from './generate.ts';
import { problem, type Violation } from './problems.ts';
import type { ShipmentStore } from './store.ts';
import { FULFILMENT_METHODS, RETAILER_V10_MEDIA_TYPE, type FulfilmentMethod, type ShipmentsResponse } from './wire.ts';

export type ListQuery =
  | { kind: 'method'; method: FulfilmentMethod; page: number }
  | { kind: 'order'; orderId: string; page: number };

const INT32_MAX = 2_147_483_647;

/** Reads page / fulfilment-method / order-id; defaults page 1 and FBR (contract §2: v3 and v8 specs' default). */
export function parseListQuery(query: URLSearchParams): { query: ListQuery } | { violations: Violation[] } {
  const violations: Violation[] = [];
  const rawPage = query.get('page');
  let page = 1;
  if (rawPage !== null) {
    if (!/^-?\d+$/.test(rawPage) || Math.abs(Number(rawPage)) > INT32_MAX) {
      violations.push({ name: 'page', reason: `Request contains invalid value(s): '${rawPage}'.` });
    } else if (Number(rawPage) < 1) {
      violations.push({ name: 'page', reason: 'Must be greater than or equal to 1.' });
    } else {
      page = Number(rawPage);
    }
  }
  const rawMethod = query.get('fulfilment-method');
  if (rawMethod !== null && !FULFILMENT_METHODS.includes(rawMethod as FulfilmentMethod)) {
    violations.push({
      name: 'fulfilment-method',
      reason: `Request contains invalid value(s): '${rawMethod}', allowed values: ${FULFILMENT_METHODS.join(', ')}.`,
    });
  }
  const orderId = query.get('order-id');
  if (orderId !== null && rawMethod !== null) {
    violations.push({ name: 'order-id', reason: 'The order-id is only valid without fulfilment-method.' });
  }
  if (orderId !== null && orderId.length === 0) {
    violations.push({ name: 'order-id', reason: "Request contains invalid value(s): ''." });
  }
  if (violations.length > 0) return { violations };
  if (orderId !== null) return { query: { kind: 'order', orderId, page } };
  return { query: { kind: 'method', method: (rawMethod as FulfilmentMethod | null) ?? 'FBR', page } };
}

export function listReply(store: ShipmentStore, query: ListQuery): Reply {
  const page = query.kind === 'method' ? store.page(query.method, query.page) : store.orderPage(query.orderId, query.page);
  // Past the end bol sends an empty object, not {"shipments":[]} (contract §2, "End of list").
  if (page.length === 0) return jsonReply(200, {}, RETAILER_V10_MEDIA_TYPE);
  const body: ShipmentsResponse = { shipments: page.map((s) => s.reduced) };
  return jsonReply(200, body, RETAILER_V10_MEDIA_TYPE);
}

export function detailReply(store: ShipmentStore, shipmentId: string, instance: string): Reply {
  const shipment = store.get(shipmentId);
  if (!shipment) return problem(404, 'Not Found', `Shipment with id ${shipmentId} not found.`, instance);
  return textReply(200, detailBody(shipment), RETAILER_V10_MEDIA_TYPE);
}

/**
 * A shipment's detail never changes once generated, and with many clients crawling the same
 * store each one is served hundreds of times: it is serialised once.
 */
const detailBodies = new WeakMap<SandboxShipment, string>();

function detailBody(shipment: SandboxShipment): string {
  let body = detailBodies.get(shipment);
  if (body === undefined) {
    body = JSON.stringify(shipment.detail);
    detailBodies.set(shipment, body);
  }
  return body;
}
