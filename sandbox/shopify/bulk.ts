/**
 * Bulk query operations of one shop: bulkOperationRunQuery runs the inner query over every node at
 * once and writes Shopify's JSONL (one line per connection node, nested connection nodes on their
 * own lines with `__parentId`, plain lists inline). The operation then "runs" on the sandbox clock:
 * CREATED, RUNNING with a growing objectCount, COMPLETED after objects / objectsPerSecond (at least
 * minMs), or FAILED part-way when a test asked for it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { execute, getNamedType, type GraphQLObjectType, type SelectionSetNode } from 'graphql';
import { formatUtcSeconds } from '../time.ts';
import { checkBulkQuery, type BulkUserError } from './bulk-rules.ts';
import { gid } from './records.ts';
import { SHOPIFY_SCHEMA, type BulkApi, type ResolverContext } from './schema.ts';
import { connectionNodeType, fieldKind, fieldsOn, merged, nodeSelections, type Walk } from './selections.ts';

export type BulkErrorCode = 'ACCESS_DENIED' | 'INTERNAL_SERVER_ERROR' | 'TIMEOUT';

export interface FailBulkPlan {
  /** Lines written before the operation fails (the partial data). */
  afterObjects: number;
  errorCode?: BulkErrorCode;
}

export interface BulkTiming {
  objectsPerSecond: number;
  minMs: number;
}

interface BulkOperationRecord {
  id: string;
  query: string;
  createdAtMs: number;
  durationMs: number;
  /** The whole file, and the byte length / root-line count after each line. */
  file: Buffer;
  bytesAfter: number[];
  rootsAfter: number[];
  fileKey: string;
  fail?: Required<FailBulkPlan>;
  canceledAtMs?: number;
}

export interface BulkOperationView {
  id: string;
  status: string;
  errorCode: BulkErrorCode | null;
  createdAt: string;
  completedAt: string | null;
  objectCount: string;
  rootObjectCount: string;
  fileSize: string | null;
  url: string | null;
  partialDataUrl: string | null;
  query: string;
  type: 'QUERY';
}

type Answer = Record<string, unknown>;

/** JSONL lines of a bulk query's answer. */
function toLines(walk: Walk, selectionSet: SelectionSetNode, data: Answer): { lines: string[]; roots: boolean[] } {
  const lines: string[] = [];
  const roots: boolean[] = [];

  // A copy of `value` without its connection fields; their nodes are queued with `parentId`.
  const strip = (sel: SelectionSetNode | undefined, type: GraphQLObjectType, value: Answer, parentId: string, queue: (() => void)[]): Answer => {
    const out: Answer = {};
    for (const field of fieldsOn(walk, sel, type)) {
      if (!(field.key in value)) continue;
      const v = value[field.key];
      const kind = fieldKind(field.def);
      const named = getNamedType(field.def.type) as GraphQLObjectType;
      if (kind === 'connection') {
        const { viaEdges } = nodeSelections(walk, field);
        const nodeType = connectionNodeType(named);
        const edges = ((v as { edges?: { node: Answer }[] } | null)?.edges) ?? [];
        for (const edge of edges) queue.push(() => emit(merged(viaEdges), nodeType, edge.node, parentId));
      } else if (kind === 'object' && v) {
        out[field.key] = strip(field.node.selectionSet, named, v as Answer, parentId, queue);
      } else if (kind === 'list' && Array.isArray(v)) {
        out[field.key] = v.map((item) => strip(field.node.selectionSet, named, item as Answer, parentId, queue));
      } else {
        out[field.key] = v;
      }
    }
    return out;
  };

  const emit = (sel: SelectionSetNode | undefined, type: GraphQLObjectType, node: Answer, parentId: string | undefined): void => {
    const queue: (() => void)[] = [];
    const own = strip(sel, type, node, String(node.id ?? ''), queue);
    lines.push(JSON.stringify(parentId === undefined ? own : { ...own, __parentId: parentId }));
    roots.push(parentId === undefined);
    for (const next of queue) next();
  };

  const root = walk.schema.getQueryType()!;
  for (const field of fieldsOn(walk, selectionSet, root)) {
    if (fieldKind(field.def) !== 'connection') continue;
    const { viaEdges } = nodeSelections(walk, field);
    const nodeType = connectionNodeType(getNamedType(field.def.type) as GraphQLObjectType);
    const edges = ((data[field.key] as { edges?: { node: Answer }[] } | null)?.edges) ?? [];
    for (const edge of edges) emit(merged(viaEdges), nodeType, edge.node, undefined);
  }
  return { lines, roots };
}

export interface BulkFile {
  body: Buffer;
}

export class BulkOperations implements BulkApi {
  private readonly ops = new Map<string, BulkOperationRecord>();
  private readonly files = new Map<string, { op: BulkOperationRecord; partial: boolean }>();
  private latest: BulkOperationRecord | undefined;
  private pendingFail: Required<FailBulkPlan> | undefined;
  private nextId: number;
  private readonly signingKey = randomBytes(16);
  created = 0;

  constructor(
    private readonly shop: string,
    private readonly timing: () => BulkTiming,
    private readonly publicUrl: () => string,
    seedId: number,
  ) {
    this.nextId = 3_900_000_000_000 + seedId * 1000;
  }

  /** Makes the running operation (or, when none runs, the next one) fail after `afterObjects` lines. */
  failBulk(plan: FailBulkPlan, nowMs: number): void {
    const resolved = { afterObjects: Math.max(0, Math.floor(plan.afterObjects)), errorCode: plan.errorCode ?? 'INTERNAL_SERVER_ERROR' };
    if (this.latest && !this.finished(this.latest, nowMs)) this.latest.fail = resolved;
    else this.pendingFail = resolved;
  }

  private finished(op: BulkOperationRecord, nowMs: number): boolean {
    return ['COMPLETED', 'FAILED', 'CANCELED'].includes(this.state(op, nowMs).status);
  }

  private state(op: BulkOperationRecord, nowMs: number): { status: string; written: number; endMs: number | null } {
    const total = op.bytesAfter.length - 1;
    const progress = (atMs: number) => Math.min(total, Math.floor((total * Math.max(0, atMs - op.createdAtMs)) / op.durationMs));
    const createdPhaseMs = Math.min(100, op.durationMs / 4);
    if (op.canceledAtMs !== undefined && nowMs >= op.canceledAtMs) return { status: 'CANCELED', written: progress(op.canceledAtMs), endMs: null };
    if (op.fail) {
      const stopAt = Math.min(op.fail.afterObjects, total);
      const failAtMs = op.createdAtMs + Math.max(createdPhaseMs, (op.durationMs * stopAt) / Math.max(total, 1));
      if (nowMs >= failAtMs) return { status: 'FAILED', written: stopAt, endMs: failAtMs };
    }
    if (nowMs >= op.createdAtMs + op.durationMs) return { status: 'COMPLETED', written: total, endMs: op.createdAtMs + op.durationMs };
    if (nowMs < op.createdAtMs + createdPhaseMs) return { status: 'CREATED', written: 0, endMs: null };
    return { status: 'RUNNING', written: Math.min(progress(nowMs), op.fail ? op.fail.afterObjects : total), endMs: null };
  }

  private fileUrl(op: BulkOperationRecord, partial: boolean): string {
    const path = `/bulk-files/${this.shop}/${op.fileKey}${partial ? '-partial' : ''}.jsonl`;
    const signature = createHmac('sha256', this.signingKey).update(path).digest('hex');
    return `${this.publicUrl()}${path}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=604800&X-Goog-Signature=${signature}`;
  }

  view(op: BulkOperationRecord, nowMs: number, statusOverride?: string): BulkOperationView {
    const s = this.state(op, nowMs);
    const total = op.bytesAfter.length - 1;
    const completed = s.status === 'COMPLETED';
    const failed = s.status === 'FAILED';
    return {
      id: op.id,
      status: statusOverride ?? s.status,
      errorCode: failed ? op.fail!.errorCode : null,
      createdAt: formatUtcSeconds(op.createdAtMs),
      completedAt: completed && s.endMs !== null ? formatUtcSeconds(s.endMs) : null,
      objectCount: String(s.written),
      rootObjectCount: String(op.rootsAfter[s.written] ?? 0),
      fileSize: completed && total > 0 ? String(op.file.length) : null,
      // Shopify answers url null when the query matched nothing.
      url: completed && total > 0 ? this.fileUrl(op, false) : null,
      partialDataUrl: failed && s.written > 0 ? this.fileUrl(op, true) : null,
      query: op.query,
      type: 'QUERY',
    };
  }

  run(query: string, ctx: ResolverContext): { bulkOperation: BulkOperationView | null; userErrors: BulkUserError[] } {
    const checked = checkBulkQuery(query);
    if (Array.isArray(checked)) return { bulkOperation: null, userErrors: checked };
    if (this.latest && !this.finished(this.latest, ctx.nowMs)) {
      return {
        bulkOperation: null,
        userErrors: [{ field: null, message: `A bulk query operation for this app and shop is already in progress: ${this.latest.id}.`, code: 'OPERATION_IN_PROGRESS' }],
      };
    }
    const result = execute({ schema: SHOPIFY_SCHEMA, document: checked.document, contextValue: { ...ctx, bulkRead: true } });
    if ('then' in result) throw new Error('bulk query resolvers must be synchronous');
    if (result.errors?.length) throw result.errors[0];
    const { lines, roots } = toLines(checked.walk, checked.operation.selectionSet, (result.data ?? {}) as Answer);

    const bytesAfter = [0];
    const rootsAfter = [0];
    for (let i = 0; i < lines.length; i++) {
      bytesAfter.push(bytesAfter[i]! + Buffer.byteLength(lines[i]!) + 1);
      rootsAfter.push(rootsAfter[i]! + (roots[i] ? 1 : 0));
    }
    const { objectsPerSecond, minMs } = this.timing();
    this.nextId += 1 + (lines.length % 97);
    const op: BulkOperationRecord = {
      id: gid('BulkOperation', this.nextId),
      query,
      createdAtMs: ctx.nowMs,
      durationMs: Math.max(minMs, Math.ceil((lines.length / objectsPerSecond) * 1000), 1),
      file: Buffer.from(lines.map((l) => `${l}\n`).join('')),
      bytesAfter,
      rootsAfter,
      fileKey: randomBytes(12).toString('hex'),
      ...(this.pendingFail ? { fail: this.pendingFail } : {}),
    };
    this.pendingFail = undefined;
    this.ops.set(op.id, op);
    this.files.set(op.fileKey, { op, partial: false });
    this.files.set(`${op.fileKey}-partial`, { op, partial: true });
    this.latest = op;
    this.created += 1;
    return { bulkOperation: this.view(op, ctx.nowMs, 'CREATED'), userErrors: [] };
  }

  cancel(id: string, ctx: ResolverContext): { bulkOperation: BulkOperationView | null; userErrors: { field: string[]; message: string }[] } {
    const op = this.ops.get(id);
    if (!op) return { bulkOperation: null, userErrors: [{ field: ['id'], message: 'Bulk operation does not exist' }] };
    const status = this.state(op, ctx.nowMs).status;
    if (['COMPLETED', 'FAILED', 'CANCELED'].includes(status)) {
      return { bulkOperation: this.view(op, ctx.nowMs), userErrors: [{ field: ['id'], message: `A bulk operation cannot be canceled when it is ${status.toLowerCase()}` }] };
    }
    op.canceledAtMs = ctx.nowMs + 1;
    return { bulkOperation: this.view(op, ctx.nowMs, 'CANCELING'), userErrors: [] };
  }

  get(id: string, ctx: ResolverContext): BulkOperationView | undefined {
    const op = this.ops.get(id);
    return op && this.view(op, ctx.nowMs);
  }

  current(type: string, ctx: ResolverContext): BulkOperationView | undefined {
    return type === 'QUERY' && this.latest ? this.view(this.latest, ctx.nowMs) : undefined;
  }

  /** The bytes behind a file URL path segment and signature, or undefined when unknown / not ready. */
  file(fileName: string, signature: string | null, nowMs: number): BulkFile | undefined {
    const entry = this.files.get(fileName);
    if (!entry) return undefined;
    const path = `/bulk-files/${this.shop}/${fileName}.jsonl`;
    const expected = createHmac('sha256', this.signingKey).update(path).digest('hex');
    if (signature !== expected) return undefined;
    const s = this.state(entry.op, nowMs);
    if (entry.partial) return s.status === 'FAILED' ? { body: entry.op.file.subarray(0, entry.op.bytesAfter[s.written]) } : undefined;
    return s.status === 'COMPLETED' ? { body: entry.op.file } : undefined;
  }

  /** The URL of an operation's complete file (tests). */
  urlOf(id: string): string | undefined {
    const op = this.ops.get(id);
    return op && this.fileUrl(op, false);
  }
}
