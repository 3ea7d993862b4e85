/**
 * Calculated query cost by Shopify's published rules (shopify.dev "GraphQL Admin API rate limits"):
 * scalar and enum 0, object 1, connection 2 plus first/last times the cost of one node (the node
 * object 1 plus its selection), interfaces the most expensive possible type, each mutation field 10.
 * The requested cost is read from the query before it runs; the actual cost walks the answer with
 * the same rules, counting the nodes a connection really returned.
 */
import {
  getArgumentValues, getNamedType, isListType, isNonNullType, isObjectType,
  type GraphQLAbstractType, type GraphQLObjectType, type OperationDefinitionNode, type SelectionSetNode,
} from 'graphql';
import { parseGid } from './records.ts';
import {
  connectionNodeType, fieldKind, fieldsOn, merged, nodeSelections, type SelectedField, type Walk,
} from './selections.ts';

export const MUTATION_COST = 10;

type Variables = Record<string, unknown>;
type Answer = Record<string, unknown> | null | undefined;

function args(field: SelectedField, variables: Variables): Record<string, unknown> {
  return getArgumentValues(field.def, field.node, variables);
}

function pageSize(field: SelectedField, variables: Variables): number {
  const a = args(field, variables);
  const n = typeof a.first === 'number' ? a.first : typeof a.last === 'number' ? a.last : 0;
  return Math.max(0, n);
}

function isList(field: SelectedField): boolean {
  const t = field.def.type;
  return isListType(isNonNullType(t) ? t.ofType : t);
}

function possibleTypes(walk: Walk, field: SelectedField): readonly GraphQLObjectType[] {
  return walk.schema.getPossibleTypes(getNamedType(field.def.type) as GraphQLAbstractType);
}

function requestedOn(walk: Walk, selectionSet: SelectionSetNode | undefined, type: GraphQLObjectType, variables: Variables): number {
  let total = 0;
  for (const field of fieldsOn(walk, selectionSet, type)) total += requestedField(walk, field, variables);
  return total;
}

/** The node type of a connection field and the selection sets that pick its nodes. */
function connectionParts(walk: Walk, field: SelectedField) {
  return { nodeType: connectionNodeType(getNamedType(field.def.type) as GraphQLObjectType), ...nodeSelections(walk, field) };
}

const objectType = (field: SelectedField) => getNamedType(field.def.type) as GraphQLObjectType;

function requestedField(walk: Walk, field: SelectedField, variables: Variables): number {
  const kind = fieldKind(field.def);
  if (kind === 'leaf') return 0;
  if (kind === 'connection') {
    const { nodeType, viaEdges, viaNodes } = connectionParts(walk, field);
    const perNode = 1 + Math.max(requestedOn(walk, merged(viaEdges), nodeType, variables), requestedOn(walk, merged(viaNodes), nodeType, variables));
    return 2 + pageSize(field, variables) * perNode;
  }
  if (kind === 'abstract') {
    const perObject = 1 + Math.max(0, ...possibleTypes(walk, field).map((t) => requestedOn(walk, field.node.selectionSet, t, variables)));
    if (!isList(field)) return perObject;
    const ids = args(field, variables).ids;
    return (Array.isArray(ids) ? ids.length : 1) * perObject;
  }
  return 1 + requestedOn(walk, field.node.selectionSet, objectType(field), variables);
}

/** A mutation costs 10 per root field whatever it selects; a query what `onQuery` prices its selection at. */
function operationCost(walk: Walk, operation: OperationDefinitionNode, onQuery: (root: GraphQLObjectType) => number): number {
  if (operation.operation === 'mutation') {
    const root = walk.schema.getMutationType();
    return root ? fieldsOn(walk, operation.selectionSet, root).length * MUTATION_COST : 0;
  }
  const root = walk.schema.getQueryType();
  return root ? onQuery(root) : 0;
}

/** The cost of an operation before it runs. */
export function requestedQueryCost(walk: Walk, operation: OperationDefinitionNode, variables: Variables): number {
  return operationCost(walk, operation, (root) => requestedOn(walk, operation.selectionSet, root, variables));
}

function objectTypeOf(walk: Walk, value: Answer): GraphQLObjectType | undefined {
  const id = value && typeof value.id === 'string' ? parseGid(value.id) : undefined;
  const type = id && walk.schema.getType(id.type);
  return type && isObjectType(type) ? type : undefined;
}

function actualOn(walk: Walk, selectionSet: SelectionSetNode | undefined, type: GraphQLObjectType, value: Answer): number {
  if (!value) return 0;
  let total = 0;
  for (const field of fieldsOn(walk, selectionSet, type)) total += actualField(walk, field, value[field.key]);
  return total;
}

function actualField(walk: Walk, field: SelectedField, value: unknown): number {
  switch (fieldKind(field.def)) {
    case 'leaf':
      return 0;
    case 'connection': {
      const { nodeType, viaEdges, viaNodes } = connectionParts(walk, field);
      const connection = (value ?? {}) as { edges?: { node?: Answer }[]; nodes?: Answer[] };
      const sum = (nodes: Answer[], sets: SelectionSetNode[]) =>
        nodes.reduce((acc, node) => acc + 1 + actualOn(walk, merged(sets), nodeType, node), 0);
      return 2 + Math.max(sum((connection.edges ?? []).map((e) => e.node), viaEdges), sum(connection.nodes ?? [], viaNodes));
    }
    case 'abstract': {
      const items = (isList(field) ? ((value as Answer[] | null) ?? []) : [value as Answer]).filter(Boolean);
      if (!isList(field) && items.length === 0) return 1;
      return items.reduce((acc, item) => {
        const type = objectTypeOf(walk, item);
        return acc + 1 + (type ? actualOn(walk, field.node.selectionSet, type, item) : 0);
      }, 0);
    }
    case 'list': {
      const items = (value as Answer[] | null) ?? [];
      return 1 + Math.max(0, ...items.map((item) => actualOn(walk, field.node.selectionSet, objectType(field), item)));
    }
    case 'object':
      return 1 + actualOn(walk, field.node.selectionSet, objectType(field), value as Answer);
  }
}

/** The cost of what an operation returned (never more than requested for the same query). */
export function actualQueryCost(walk: Walk, operation: OperationDefinitionNode, data: Answer): number {
  return operationCost(walk, operation, (root) => actualOn(walk, operation.selectionSet, root, data));
}

/** Connection fields below `selectionSet` that have neither first nor last (Shopify refuses them). */
export function unboundedConnections(walk: Walk, selectionSet: SelectionSetNode | undefined, type: GraphQLObjectType, variables: Variables): SelectedField[] {
  const out: SelectedField[] = [];
  for (const field of fieldsOn(walk, selectionSet, type)) {
    const kind = fieldKind(field.def);
    const named = getNamedType(field.def.type);
    if (kind === 'connection') {
      const a = args(field, variables);
      if (typeof a.first !== 'number' && typeof a.last !== 'number') out.push(field);
      const { viaEdges, viaNodes } = nodeSelections(walk, field);
      const nodeType = connectionNodeType(named as GraphQLObjectType);
      out.push(...unboundedConnections(walk, merged([...viaEdges, ...viaNodes]), nodeType, variables));
    } else if (kind === 'object' || kind === 'list') {
      out.push(...unboundedConnections(walk, field.node.selectionSet, named as GraphQLObjectType, variables));
    } else if (kind === 'abstract') {
      for (const t of possibleTypes(walk, field)) out.push(...unboundedConnections(walk, field.node.selectionSet, t, variables));
    }
  }
  return out;
}
