/**
 * POST /{shop}/admin/api/{version}/graphql.json: authenticate, parse, validate, price the query,
 * take its cost from the bucket (or answer THROTTLED / MAX_COST_EXCEEDED), execute, refund the
 * difference between requested and actual cost, and answer with Shopify's `extensions.cost`.
 */
import {
  execute, getOperationAST, getVariableValues, GraphQLError, parse, validate, visit, Kind,
  type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode,
} from 'graphql';
import { jsonReply, mediaType, type Reply } from '../http.ts';
import type { SeededRandom } from '../prng.ts';
import type { ShopTokens } from './auth.ts';
import type { CostBucket } from './bucket.ts';
import { actualQueryCost, requestedQueryCost, unboundedConnections } from './cost.ts';
import {
  INVALID_TOKEN_BODY, internalError, maxCostExceededError, MISSING_QUERY_BODY, throttledError, toShopifyError, type WireError,
} from './errors.ts';
import { SHOPIFY_SCHEMA, type ResolverContext } from './schema.ts';
import type { Walk } from './selections.ts';
import type { ShopifyShopStats } from './stats.ts';

export interface GraphqlShop {
  tokens: ShopTokens;
  bucket: CostBucket;
  stats: ShopifyShopStats;
  maxQueryCost: number;
  context: Omit<ResolverContext, 'nowMs' | 'bulkRead'>;
}

export interface GraphqlRequest {
  accessToken: string | undefined;
  contentType: string | undefined;
  body: string;
}

interface RequestBody {
  query: string;
  variables: Record<string, unknown>;
  operationName: string | undefined;
}

function readRequestBody(contentType: string | undefined, body: string): RequestBody | undefined {
  if (mediaType(contentType) === 'application/graphql') return body.trim() ? { query: body, variables: {}, operationName: undefined } : undefined;
  try {
    const parsed = JSON.parse(body) as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof parsed?.query !== 'string' || !parsed.query.trim()) return undefined;
    const variables = parsed.variables && typeof parsed.variables === 'object' ? (parsed.variables as Record<string, unknown>) : {};
    return { query: parsed.query, variables, operationName: typeof parsed.operationName === 'string' ? parsed.operationName : undefined };
  } catch {
    return undefined;
  }
}

const errorsReply = (errors: WireError[], extensions?: Record<string, unknown>): Reply =>
  jsonReply(200, extensions ? { errors, extensions } : { errors });

function walkOf(document: DocumentNode): Walk {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  return { schema: SHOPIFY_SCHEMA, fragments };
}

/**
 * graphql-ruby names where a validation error sits: the operation ("query", "query Name") and the
 * field names down to the offending node, e.g. ["query", "orders", "edges", "node", "foo"].
 */
function withDocumentPath(wire: WireError, error: GraphQLError, document: DocumentNode): WireError {
  const target = error.nodes?.[0];
  if (!target || wire.path) return wire;
  let path: string[] | undefined;
  visit(document, {
    enter(node, _key, _parent, _path, ancestors) {
      if (node !== target || path) return;
      const chain = [...ancestors, node] as readonly unknown[];
      const names: string[] = [];
      for (const a of chain) {
        const n = a as { kind?: string; operation?: string; name?: { value: string } };
        if (n.kind === Kind.OPERATION_DEFINITION) names.push(n.name ? `${n.operation} ${n.name.value}` : String(n.operation));
        else if (n.kind === Kind.FRAGMENT_DEFINITION) names.push(`fragment ${n.name?.value ?? ''}`);
        else if (n.kind === Kind.FIELD && n.name) names.push(n.name.value);
      }
      path = names;
    },
  });
  if (!path || path.length === 0) return wire;
  const { extensions, ...rest } = wire;
  return { ...rest, path, ...(extensions ? { extensions } : {}) };
}

interface Prepared {
  document: DocumentNode;
  errors: WireError[];
  walk: Walk;
}

// Clients send the same few documents over and over: parse and validate each text once.
const PREPARED = new Map<string, Prepared>();
const PREPARED_MAX = 500;

function prepare(query: string): Prepared | WireError[] {
  const cached = PREPARED.get(query);
  if (cached) return cached;
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (err) {
    if (err instanceof GraphQLError) return [toShopifyError(err)];
    throw err;
  }
  const errors = validate(SHOPIFY_SCHEMA, document).map((e) => withDocumentPath(toShopifyError(e), e, document));
  const prepared = { document, errors, walk: walkOf(document) };
  if (PREPARED.size >= PREPARED_MAX) PREPARED.clear();
  PREPARED.set(query, prepared);
  return prepared;
}

/** The answer to one GraphQL request; everything is decided at nowMs. */
export function handleGraphql(shop: GraphqlShop, req: GraphqlRequest, nowMs: number, faults: SeededRandom, errorRate: number): Reply {
  const access = shop.tokens.check(req.accessToken, nowMs);
  if (!access.ok) {
    shop.stats.unauthorized += 1;
    return jsonReply(401, INVALID_TOKEN_BODY);
  }
  shop.stats.graphqlCalls += 1;
  if (errorRate > 0 && faults.chance(errorRate)) {
    shop.stats.serverErrors += 1;
    const requestId = `${faults.uuid()}`;
    return faults.chance(0.5)
      ? jsonReply(500, { errors: [internalError(requestId)] })
      : { status: 503, contentType: 'text/html', body: '<html><body><h1>503 Service Unavailable</h1></body></html>', headers: { 'Retry-After': '1' } };
  }
  const body = readRequestBody(req.contentType, req.body);
  if (!body) return jsonReply(400, MISSING_QUERY_BODY);

  const prepared = prepare(body.query);
  if (Array.isArray(prepared)) return errorsReply(prepared);
  if (prepared.errors.length > 0) return errorsReply(prepared.errors);
  const { document, walk } = prepared;
  const operation: OperationDefinitionNode | null | undefined = getOperationAST(document, body.operationName);
  if (!operation) {
    return errorsReply([{ message: body.operationName ? `No operation named "${body.operationName}"` : 'An operation name is required', extensions: { code: 'OPERATION_NOT_FOUND' } }]);
  }
  const coerced = getVariableValues(SHOPIFY_SCHEMA, operation.variableDefinitions ?? [], body.variables);
  if (coerced.errors) {
    return errorsReply(coerced.errors.map((e) => ({ ...toShopifyError(e), extensions: { code: 'INVALID_VARIABLE' } })));
  }
  const variables = coerced.coerced;

  if (operation.operation === 'query') {
    const unbounded = unboundedConnections(walk, operation.selectionSet, SHOPIFY_SCHEMA.getQueryType()!, variables);
    if (unbounded.length > 0) {
      return errorsReply(unbounded.map((f) => ({
        message: 'you must provide one of first or last',
        locations: f.node.loc ? [{ line: f.node.loc.startToken.line, column: f.node.loc.startToken.column }] : [],
        path: [f.key],
      })));
    }
  }

  const requested = requestedQueryCost(walk, operation, variables);
  const costExtension = (actual: number | null) => ({
    cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: shop.bucket.status(nowMs) },
  });
  if (requested > shop.maxQueryCost) {
    shop.stats.maxCostExceeded += 1;
    return errorsReply([maxCostExceededError(requested, shop.maxQueryCost)], costExtension(null));
  }
  const available = shop.bucket.availableAt(nowMs);
  if (!shop.bucket.take(requested, nowMs)) {
    shop.stats.throttled += 1;
    shop.stats.peakOverdraw = Math.max(shop.stats.peakOverdraw, Math.ceil(requested - available));
    return errorsReply([throttledError()], costExtension(null));
  }

  const context: ResolverContext = { ...shop.context, nowMs, bulkRead: false };
  const result = execute({ schema: SHOPIFY_SCHEMA, document, operationName: body.operationName, variableValues: body.variables, contextValue: context });
  if ('then' in result) throw new Error('resolvers must be synchronous');
  const data = (result.data ?? null) as Record<string, unknown> | null;
  const actual = Math.min(requested, actualQueryCost(walk, operation, data));
  shop.bucket.refund(requested - actual, nowMs);
  shop.stats.pointsRequested += requested;
  shop.stats.pointsSpent += actual;
  const answer: Record<string, unknown> = {};
  if (result.errors?.length) answer.errors = result.errors.map(toShopifyError);
  answer.data = data;
  answer.extensions = costExtension(actual);
  return jsonReply(200, answer);
}
