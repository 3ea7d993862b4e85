import { AppError, PermanentError, TransientError } from '../../../lib/errors.ts';
import { openStream } from '../../../lib/http.ts';

/**
 * Reads a bulk operation's JSONL file over HTTP from a byte offset (a `Range` request), a group
 * at a time: a root object's line and the lines of its nested connections that follow it
 * (`__parentId`; the operation is run with `groupObjects` so they do). Nothing but the groups
 * asked for is held: the read stops at the first line past them and closes the connection.
 */

export interface JsonlGroup {
  root: Record<string, unknown>;
  children: Record<string, unknown>[];
  /** Byte offset of the root's line. */
  startByte: number;
}

export interface JsonlChunk {
  groups: JsonlGroup[];
  /** Where the next chunk starts: the first unread root line, or the end. */
  endByte: number;
  /** Lines (objects) read, the roots among them. */
  lines: number;
  roots: number;
  /** The file ends within this chunk. */
  atEnd: boolean;
}

/** The file is gone (Shopify keeps them seven days): the operation must run again. */
export class BulkFileGone extends Error {}

export async function readJsonlGroups(url: string, fromByte: number, maxGroups: number, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<JsonlChunk> {
  const answer = await openStream({ provider: 'shopify', url, headers: fromByte > 0 ? { range: `bytes=${fromByte}-` } : {}, signal: opts.signal, timeoutMs: opts.timeoutMs });
  const chunk: JsonlChunk = { groups: [], endByte: fromByte, lines: 0, roots: 0, atEnd: false };
  if (answer.status === 416) {
    answer.close();
    return { ...chunk, atEnd: true };
  }
  if (answer.status === 403 || answer.status === 404 || answer.status === 410) {
    answer.close();
    throw new BulkFileGone(`the bulk file answered ${answer.status}`);
  }
  if (answer.status !== 200 && answer.status !== 206) {
    answer.close();
    throw new TransientError(`the bulk file answered ${answer.status}`);
  }
  // A server that ignores Range sends the whole file: skip what was read before.
  let skip = answer.status === 200 ? fromByte : 0;
  let pending: Buffer = Buffer.alloc(0);
  let offset = fromByte;
  let full = false;

  /** One line; `terminated`: its newline was read. False once the chunk is full (or at a cut last line). */
  const take = (line: Buffer, terminated: boolean): boolean => {
    const bytes = line.length + 1;
    const text = line.toString('utf8').trim();
    if (text === '') {
      offset += bytes;
      return true;
    }
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Only a partial file's last line can be cut short; it is no object.
      if (!terminated) return false;
      // Anywhere else the offsets after it would be off by its length and a resumed read would
      // start mid-line; skipping it would drop an object (or file a root's children under the
      // order before it). The read stops here, its checkpoint still at this chunk's start.
      throw new PermanentError(`Shopify's bulk file has a line that is not JSON at byte ${offset} (${bytes} bytes): ${text.slice(0, 100)}. Start the sync again for a new export.`);
    }
    const isRoot = row.__parentId === undefined;
    if (isRoot && chunk.groups.length >= maxGroups) {
      full = true;
      return false;
    }
    if (isRoot) {
      chunk.groups.push({ root: row, children: [], startByte: offset });
      chunk.roots++;
    } else {
      chunk.groups.at(-1)?.children.push(row);
    }
    chunk.lines++;
    offset += bytes;
    chunk.endByte = offset;
    return true;
  };

  try {
    for await (const data of answer.body) {
      let buf: Buffer = data;
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        skip -= n;
        buf = buf.subarray(n);
        if (buf.length === 0) continue;
      }
      pending = pending.length === 0 ? buf : Buffer.concat([pending, buf]);
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0) {
        const line = pending.subarray(0, nl);
        pending = pending.subarray(nl + 1);
        if (!take(line, true)) break;
      }
      if (full) break;
    }
  } catch (err) {
    answer.close();
    // The body's own errors (a connection reset mid-file) carry a code; ours are classed already.
    if (!(err instanceof AppError) && (err as { code?: string }).code !== undefined) throw new TransientError(`reading the bulk file: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  if (full) {
    answer.close();
    return chunk;
  }
  // The end of the file: a last line without its newline.
  if (pending.length > 0 && take(pending, false)) chunk.endByte = offset - 1;
  return { ...chunk, atEnd: true };
}
