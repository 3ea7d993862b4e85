/**
 * Bulk query operations of one shop: bulkOperationRunQuery runs the inner query over every node at
 * once and writes Shopify's JSONL (one line per connection node, nested connection nodes on their
 * own lines with `__parentId`, plain lists inline). The operation then "runs" on the sandbox clock:
 * CREATED, RUNNING with a growing objectCount, COMPLETED after objects / objectsPerSecond (at least
 * minMs), or FAILED part-way when a test asked for it. Large shops are read in chunks of root
 * objects between which the event loop serves other requests (a 10,000-order file takes seconds
 * to build); a small shop's file is built at once, so a test on a fixed clock sees exact states.
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

/** Root objects read per execution of the inner query. */
const CHUNK_ROOTS = 250;

interface BulkOperationRecord {
  id: string;
  query: string;
  createdAtMs: number;
  /** Known once every chunk is read. */
  durationMs: number | null;
  lines: string[];
  /** Byte length / root-line count after each line (index 0: before the first). */
  bytesAfter: number[];
  rootsAfter: number[];
  /** The whole file, built once complete. */
  file?: Buffer;
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
    const { objectsPerSecond, minMs } = this.timing();
    const known = op.lines.length;
    const elapsedMs = Math.max(0, nowMs - op.createdAtMs);
    // Objects are written at objectsPerSecond, never faster than the chunks are read.
    const progress = (atMs: number) => Math.min(known, Math.floor(((atMs - op.createdAtMs) * objectsPerSecond) / 1000));
    const createdPhaseMs = Math.min(100, (op.durationMs ?? minMs) / 4);
    if (op.canceledAtMs !== undefined && nowMs >= op.canceledAtMs) return { status: 'CANCELED', written: progress(op.canceledAtMs), endMs: null };
    if (op.fail && (op.durationMs !== null || known >= op.fail.afterObjects)) {
      const stopAt = Math.min(op.fail.afterObjects, known);
      const failAtMs = op.createdAtMs + Math.max(createdPhaseMs, (stopAt * 1000) / objectsPerSecond);
      if (nowMs >= failAtMs) return { status: 'FAILED', written: stopAt, endMs: failAtMs };
    }
    if (op.durationMs !== null && elapsedMs >= op.durationMs) return { status: 'COMPLETED', written: known, endMs: op.createdAtMs + op.durationMs };
    if (elapsedMs < createdPhaseMs) return { status: 'CREATED', written: 0, endMs: null };
    const written = progress(nowMs);
    return { status: 'RUNNING', written: op.fail ? Math.min(written, op.fail.afterObjects) : written, endMs: null };
  }

  private fileUrl(op: BulkOperationRecord, partial: boolean): string {
    const path = `/bulk-files/${this.shop}/${op.fileKey}${partial ? '-partial' : ''}.jsonl`;
    const signature = createHmac('sha256', this.signingKey).update(path).digest('hex');
    return `${this.publicUrl()}${path}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=604800&X-Goog-Signature=${signature}`;
  }

  view(op: BulkOperationRecord, nowMs: number, statusOverride?: string): BulkOperationView {
    const s = this.state(op, nowMs);
    const total = op.lines.length;
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
      fileSize: completed && total > 0 ? String(op.bytesAfter[total]) : null,
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
    this.nextId += 1 + (this.created % 97);
    const op: BulkOperationRecord = {
      id: gid('BulkOperation', this.nextId),
      query,
      createdAtMs: ctx.nowMs,
      durationMs: null,
      lines: [],
      bytesAfter: [0],
      rootsAfter: [0],
      fileKey: randomBytes(12).toString('hex'),
      ...(this.pendingFail ? { fail: this.pendingFail } : {}),
    };
    const finish = () => {
      const { objectsPerSecond, minMs } = this.timing();
      op.durationMs = Math.max(minMs, Math.ceil((op.lines.length / objectsPerSecond) * 1000), 1);
    };
    // The first chunk now; further chunks (large shops) between other requests.
    const readChunk = (from: number): void => {
      const context: ResolverContext = { ...ctx, bulkRead: true, bulkSlice: [from, from + CHUNK_ROOTS] };
      const result = execute({ schema: SHOPIFY_SCHEMA, document: checked.document, contextValue: context });
      if ('then' in result) throw new Error('bulk query resolvers must be synchronous');
      if (result.errors?.length) throw result.errors[0];
      const { lines, roots } = toLines(checked.walk, checked.operation.selectionSet, (result.data ?? {}) as Answer);
      for (let i = 0; i < lines.length; i++) {
        const n = op.lines.length;
        op.lines.push(lines[i]!);
        op.bytesAfter.push(op.bytesAfter[n]! + Buffer.byteLength(lines[i]!) + 1);
        op.rootsAfter.push(op.rootsAfter[n]! + (roots[i] ? 1 : 0));
      }
      if (roots.filter(Boolean).length < CHUNK_ROOTS) {
        finish();
        return;
      }
      setImmediate(() => {
        try {
          readChunk(from + CHUNK_ROOTS);
        } catch {
          // A later chunk could not be read: the operation fails with what it wrote, as on Shopify.
          op.fail = { afterObjects: op.lines.length, errorCode: 'INTERNAL_SERVER_ERROR' };
          finish();
        }
      });
    };
    readChunk(0);
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
    const op = entry.op;
    const s = this.state(op, nowMs);
    if (s.status !== (entry.partial ? 'FAILED' : 'COMPLETED')) return undefined;
    op.file ??= Buffer.from(op.lines.map((l) => `${l}\n`).join(''));
    return { body: entry.partial ? op.file.subarray(0, op.bytesAfter[s.written]) : op.file };
  }

  /** The URL of an operation's complete file (tests). */
  urlOf(id: string): string | undefined {
    const op = this.ops.get(id);
    return op && this.fileUrl(op, false);
  }
}
