/**
 * The GraphQL documents the connector sends (checked against the schema subset of
 * sandbox/shopify/schema.graphql, itself Shopify's names for API version 2026-10).
 *
 * The bulk query obeys Shopify's bulk rules: at most 5 connections, nested at most 2 deep, and no
 * connection inside a list field. `Order.fulfillments` is a plain list, so a fulfillment's events
 * and line items (connections) cannot be in it: the bulk file carries each order with its
 * fulfillments (inline) and its line items (own lines, `__parentId` = the order), and the events
 * and exact line items of fulfillments that are still moving (or share an order with another)
 * come from a paced follow-up query by id (`nodes(ids:)`).
 */

const ADDRESS = 'shippingAddress { name zip city countryCodeV2 phone }';
const ORDER_FIELDS = `id name createdAt updatedAt phone ${ADDRESS}`;
const FULFILLMENT_FIELDS = 'id name status displayStatus createdAt updatedAt inTransitAt deliveredAt estimatedDeliveryAt trackingInfo { company number url }';
/** Newest events first: the latest are what tells where a parcel is. */
export const EVENTS_PER_FULFILLMENT = 10;
export const ITEMS_PER_FULFILLMENT = 10;
const FULFILLMENT_DETAILS = `events(first: ${EVENTS_PER_FULFILLMENT}, sortKey: HAPPENED_AT, reverse: true) { nodes { id status happenedAt message city country zip } }
      fulfillmentLineItems(first: ${ITEMS_PER_FULFILLMENT}) { nodes { id quantity lineItem { id sku name quantity originalUnitPriceSet { shopMoney { amount } } } } }`;

export const SHOP_NAME = { shape: 'shop', query: '{ shop { name } }' } as const;

/** A page of orders by `updatedAt`, oldest change first, each with its fulfillments in full. */
export const ORDERS_PAGE = {
  shape: 'ordersPage',
  query: `query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes {
      ${ORDER_FIELDS}
      fulfillments(first: 10) {
        ${FULFILLMENT_FIELDS}
        ${FULFILLMENT_DETAILS}
      }
    }
  }
}`,
} as const;

/** Events and line items of fulfillments by id (the bulk file cannot carry them). */
export const FULFILLMENT_DETAILS_BY_ID = {
  shape: 'fulfillmentDetails',
  query: `query FulfillmentDetails($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Fulfillment {
      id
      ${FULFILLMENT_DETAILS}
    }
  }
}`,
} as const;

/** The bulk query: every order with its fulfillments and line items. */
export const BULK_ORDERS_QUERY = `{
  orders {
    edges {
      node {
        ${ORDER_FIELDS}
        fulfillments { ${FULFILLMENT_FIELDS} }
        lineItems { edges { node { id sku name quantity originalUnitPriceSet { shopMoney { amount } } } } }
      }
    }
  }
}`;

const BULK_OPERATION_FIELDS = 'id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl';

export const RUN_BULK = {
  shape: 'bulkRun',
  query: `mutation RunBulk($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { ${BULK_OPERATION_FIELDS} }
    userErrors { field message code }
  }
}`,
} as const;

export const BULK_STATUS = {
  shape: 'bulkStatus',
  query: `query BulkStatus($id: ID!) {
  bulkOperation(id: $id) { ${BULK_OPERATION_FIELDS} }
}`,
} as const;

export const CURRENT_BULK = {
  shape: 'bulkCurrent',
  query: `{ currentBulkOperation(type: QUERY) { ${BULK_OPERATION_FIELDS} } }`,
} as const;
