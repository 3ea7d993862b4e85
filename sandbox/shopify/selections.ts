/**
 * Walking a validated query's selections with their schema types: the fields a selection set picks
 * on a given object type (fragments and inline fragments flattened), and what kind of field each is
 * for Shopify's cost and bulk rules (connection, plain list, object, leaf).
 */
import {
  getNamedType, isAbstractType, isLeafType, isListType, isNonNullType, isObjectType, Kind,
  type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType, type GraphQLObjectType,
  type GraphQLOutputType, type GraphQLSchema, type SelectionSetNode,
} from 'graphql';

export interface SelectedField {
  node: FieldNode;
  /** Alias or name: the key of the field in the answer. */
  key: string;
  def: GraphQLField<unknown, unknown>;
}

export type FieldKind = 'leaf' | 'connection' | 'list' | 'object' | 'abstract';

export interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
}

function conditionHolds(walk: Walk, condition: string | undefined, type: GraphQLObjectType): boolean {
  if (!condition || condition === type.name) return true;
  const named = walk.schema.getType(condition);
  return !!named && isAbstractType(named) && walk.schema.isSubType(named, type);
}

// A selection set belongs to one parsed document (hence one set of fragments): its fields on a
// type never change, and bulk files and cost walks ask for them once per node.
const FIELDS_CACHE = new WeakMap<SelectionSetNode, Map<string, SelectedField[]>>();

/** The fields `selectionSet` selects on object type `type`, __typename excluded (do not change the list). */
export function fieldsOn(walk: Walk, selectionSet: SelectionSetNode | undefined, type: GraphQLObjectType): SelectedField[] {
  if (!selectionSet) return [];
  let byType = FIELDS_CACHE.get(selectionSet);
  if (!byType) {
    byType = new Map();
    FIELDS_CACHE.set(selectionSet, byType);
  }
  let fields = byType.get(type.name);
  if (!fields) {
    fields = collectFields(walk, selectionSet, type);
    byType.set(type.name, fields);
  }
  return fields;
}

function collectFields(walk: Walk, selectionSet: SelectionSetNode, type: GraphQLObjectType): SelectedField[] {
  const out: SelectedField[] = [];
  const defs = type.getFields();
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const def = defs[selection.name.value];
      if (def) out.push({ node: selection, key: selection.alias?.value ?? selection.name.value, def });
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (conditionHolds(walk, selection.typeCondition?.name.value, type)) out.push(...fieldsOn(walk, selection.selectionSet, type));
    } else {
      const fragment = walk.fragments[selection.name.value];
      if (fragment && conditionHolds(walk, fragment.typeCondition.name.value, type)) out.push(...fieldsOn(walk, fragment.selectionSet, type));
    }
  }
  return out;
}

/** A Relay connection as Shopify's schema has them: an object type named …Connection with edges. */
export function isConnectionType(type: GraphQLNamedType): type is GraphQLObjectType {
  return isObjectType(type) && type.name.endsWith('Connection') && 'edges' in type.getFields();
}

function isListOf(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

const KIND_CACHE = new WeakMap<GraphQLField<unknown, unknown>, FieldKind>();

export function fieldKind(def: GraphQLField<unknown, unknown>): FieldKind {
  let kind = KIND_CACHE.get(def);
  if (!kind) {
    kind = kindOf(def);
    KIND_CACHE.set(def, kind);
  }
  return kind;
}

function kindOf(def: GraphQLField<unknown, unknown>): FieldKind {
  const named = getNamedType(def.type);
  if (isLeafType(named)) return 'leaf';
  if (isConnectionType(named)) return 'connection';
  if (isAbstractType(named)) return 'abstract';
  return isListOf(def.type) ? 'list' : 'object';
}

/** The node type of a connection type (its `nodes` field's item type). */
export function connectionNodeType(connection: GraphQLObjectType): GraphQLObjectType {
  return getNamedType(connection.getFields().nodes!.type) as GraphQLObjectType;
}

/**
 * The selection sets that pick a connection's nodes: `edges { node { … } }` and `nodes { … }`
 * (each may be given several times through fragments).
 */
const NODE_SELECTIONS_CACHE = new WeakMap<FieldNode, { viaEdges: SelectionSetNode[]; viaNodes: SelectionSetNode[] }>();

export function nodeSelections(walk: Walk, field: SelectedField): { viaEdges: SelectionSetNode[]; viaNodes: SelectionSetNode[] } {
  let found = NODE_SELECTIONS_CACHE.get(field.node);
  if (!found) {
    found = collectNodeSelections(walk, field);
    NODE_SELECTIONS_CACHE.set(field.node, found);
  }
  return found;
}

function collectNodeSelections(walk: Walk, field: SelectedField): { viaEdges: SelectionSetNode[]; viaNodes: SelectionSetNode[] } {
  const connection = getNamedType(field.def.type) as GraphQLObjectType;
  const edgeType = getNamedType(connection.getFields().edges!.type) as GraphQLObjectType;
  const viaEdges: SelectionSetNode[] = [];
  const viaNodes: SelectionSetNode[] = [];
  for (const f of fieldsOn(walk, field.node.selectionSet, connection)) {
    if (f.def.name === 'nodes' && f.node.selectionSet) viaNodes.push(f.node.selectionSet);
    if (f.def.name === 'edges') {
      for (const e of fieldsOn(walk, f.node.selectionSet, edgeType)) if (e.def.name === 'node' && e.node.selectionSet) viaEdges.push(e.node.selectionSet);
    }
  }
  return { viaEdges, viaNodes };
}

/** Merges several selection sets into one (for walking a field selected more than once). */
export function merged(sets: readonly SelectionSetNode[]): SelectionSetNode | undefined {
  if (sets.length === 0) return undefined;
  if (sets.length === 1) return sets[0];
  return { kind: Kind.SELECTION_SET, selections: sets.flatMap((s) => s.selections) };
}
