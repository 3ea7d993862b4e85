/**
 * Shopify's bulk query rules, checked on the parsed and validated inner query. Each refusal is a
 * BulkOperationUserError in Shopify's words (field ["query"], code INVALID).
 */
import {
  getNamedType, parse, validate, Kind, type DocumentNode, type FragmentDefinitionNode, type GraphQLObjectType,
  type OperationDefinitionNode, type SelectionSetNode, GraphQLError,
} from 'graphql';
import { toShopifyError } from './errors.ts';
import { connectionNodeType, fieldKind, fieldsOn, merged, nodeSelections, type Walk } from './selections.ts';
import { SHOPIFY_SCHEMA } from './schema.ts';

export const MAX_BULK_CONNECTIONS = 5;
export const MAX_BULK_DEPTH = 2;

export interface BulkUserError {
  field: string[] | null;
  message: string;
  code: 'INVALID' | 'OPERATION_IN_PROGRESS' | 'LIMIT_REACHED';
}

export interface CheckedBulkQuery {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  walk: Walk;
}

const invalid = (message: string): BulkUserError => ({ field: ['query'], message, code: 'INVALID' });

interface Analysis {
  connections: number;
  maxDepth: number;
  connectionInList: boolean;
  viaNodes: string[];
  parentsWithoutId: string[];
  topLevelNode: boolean;
}

function analyse(walk: Walk, selectionSet: SelectionSetNode | undefined, type: GraphQLObjectType, depth: number, inList: boolean, a: Analysis): void {
  for (const field of fieldsOn(walk, selectionSet, type)) {
    const kind = fieldKind(field.def);
    const named = getNamedType(field.def.type) as GraphQLObjectType;
    if (kind === 'connection') {
      a.connections += 1;
      a.maxDepth = Math.max(a.maxDepth, depth + 1);
      if (inList) a.connectionInList = true;
      const { viaEdges, viaNodes } = nodeSelections(walk, field);
      if (viaNodes.length > 0) a.viaNodes.push(field.def.name);
      const nodeType = connectionNodeType(named);
      const nodeSet = merged([...viaEdges, ...viaNodes]);
      // A nested connection's rows point at this node through its id, so the node must select it.
      const nested = fieldsOn(walk, nodeSet, nodeType).filter((f) => fieldKind(f.def) === 'connection');
      const selectsId = fieldsOn(walk, nodeSet, nodeType).some((f) => f.def.name === 'id' && f.key === 'id');
      if (nested.length > 0 && !selectsId) a.parentsWithoutId.push(...nested.map((f) => f.def.name));
      analyse(walk, nodeSet, nodeType, depth + 1, false, a);
    } else if (kind === 'list' || kind === 'object') {
      analyse(walk, field.node.selectionSet, named, depth, inList || kind === 'list', a);
    } else if (kind === 'abstract') {
      if (depth === 0 && field.def.name === 'node') a.topLevelNode = true;
      for (const t of walk.schema.getPossibleTypes(named as never)) analyse(walk, field.node.selectionSet, t, depth, inList || field.def.name === 'nodes', a);
    }
  }
}

/** The checked query, or the userErrors Shopify would answer. */
export function checkBulkQuery(query: string): CheckedBulkQuery | BulkUserError[] {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (err) {
    const message = err instanceof GraphQLError ? toShopifyError(err).message : String(err);
    return [invalid(`Invalid bulk query: ${message}`)];
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations[0];
  if (!operation || operations.length > 1) return [invalid('Invalid bulk query: a bulk query must contain exactly one operation.')];
  if (operation.operation !== 'query') return [invalid('Invalid operation type. Only `query` operations are supported.')];
  const errors = validate(SHOPIFY_SCHEMA, document);
  if (errors.length > 0) return errors.map((e) => invalid(`Invalid bulk query: ${toShopifyError(e).message}`));

  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const walk: Walk = { schema: SHOPIFY_SCHEMA, fragments };
  const a: Analysis = { connections: 0, maxDepth: 0, connectionInList: false, viaNodes: [], parentsWithoutId: [], topLevelNode: false };
  analyse(walk, operation.selectionSet, SHOPIFY_SCHEMA.getQueryType()!, 0, false, a);

  const out: BulkUserError[] = [];
  if (a.viaNodes.length > 0) {
    out.push(invalid(
      `All connection fields in a bulk query must select their contents using 'edges' > 'node', e.g: '${a.viaNodes[0]} { edges { node {'. ` +
        `Selecting via 'nodes' is not supported. Invalid connection fields: '${a.viaNodes.join("', '")}'.`,
    ));
  }
  if (a.topLevelNode) out.push(invalid('Bulk queries cannot contain a top level `node` field.'));
  if (a.maxDepth > MAX_BULK_DEPTH) out.push(invalid(`Bulk queries cannot contain connections with a nesting depth greater than ${MAX_BULK_DEPTH}.`));
  if (a.connections > MAX_BULK_CONNECTIONS) out.push(invalid(`Bulk queries cannot contain more than ${MAX_BULK_CONNECTIONS} connections.`));
  if (a.parentsWithoutId.length > 0) {
    out.push(invalid(
      "The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. " +
        `Connection fields without 'id': ${a.parentsWithoutId.join(', ')}.`,
    ));
  }
  if (a.connectionInList) out.push(invalid('Queries that contain a connection field within a list field are not currently supported.'));
  if (a.connections === 0 && out.length === 0) out.push(invalid('Bulk queries must contain at least one connection.'));
  return out.length > 0 ? out : { document, operation, walk };
}
