import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import { dialectOf } from './db.ts';

/**
 * Where uploaded files wait for the workers. Two adapters, chosen by the database:
 * - `database` (MySQL): web and worker dynos share no disk, so the bytes go into
 *   `import_file_chunks`, 1 MiB a row (well under MariaDB's 16 MiB max_allowed_packet, and
 *   small enough that neither side ever holds more than a chunk or two of a 100 MB file);
 * - `file` (SQLite, the embedded defaults): one process, one machine: a file in `uploads/`
 *   beside the database file, so every process that opens the same database finds it.
 *
 * A reader starts at any byte offset: a batch resumes where the import's checkpoint says.
 */
export interface ImportFileStore {
  readonly kind: 'database' | 'file';
  /** Stores the stream under a new key. If the stream fails, whatever was stored is removed. */
  save(source: AsyncIterable<Buffer>): Promise<{ key: string; sizeBytes: number }>;
  /** The stored bytes from `offset` to the end. */
  read(key: string, offset: number): Readable;
  remove(key: string): Promise<void>;
  /** False once the file is removed (or was never stored). */
  exists(key: string): Promise<boolean>;
}

export const CHUNK_BYTES = 1024 * 1024;
const CHUNKS_IN_FLIGHT = 3;

export function createImportFileStore(knex: Knex): ImportFileStore {
  if (dialectOf(knex) === 'mysql') return databaseStore(knex);
  const filename = (knex.client.config.connection as { filename?: string } | undefined)?.filename;
  const dir = filename && filename !== ':memory:' ? path.join(path.dirname(filename), 'uploads') : path.join(tmpdir(), 'shipsync-uploads');
  return fileStore(dir);
}

/**
 * One chunk, sent as a prepared statement: the binary protocol carries the bytes as they are,
 * where a plain query would spell them out as a hex literal twice their size for the server to
 * parse.
 */
async function insertImportFileChunk(knex: Knex, key: string, seq: number, data: Buffer): Promise<void> {
  const connection = (await knex.client.acquireConnection()) as { execute(sql: string, values: unknown[], cb: (err: Error | null) => void): void };
  try {
    await new Promise<void>((resolve, reject) =>
      connection.execute('INSERT INTO import_file_chunks (upload_key, seq, data) VALUES (?, ?, ?)', [key, seq, data], (err) => (err ? reject(err) : resolve())),
    );
  } finally {
    await knex.client.releaseConnection(connection);
  }
}

/** One chunk's bytes, or null past the last one. */
async function findImportFileChunk(knex: Knex, key: string, seq: number): Promise<Buffer | null> {
  const row: { data: Buffer | Uint8Array } | undefined = await knex('import_file_chunks').select('data').where({ upload_key: key, seq }).first();
  if (!row) return null;
  return Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
}

async function deleteImportFileChunks(knex: Knex, key: string): Promise<void> {
  await knex('import_file_chunks').where({ upload_key: key }).delete();
}

function databaseStore(knex: Knex): ImportFileStore {
  return {
    kind: 'database',
    async save(source) {
      const key = randomUUID();
      let seq = 0;
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      // A few chunk inserts in flight while the next chunk arrives: the upload's pace is the
      // database's, not a round trip per megabyte.
      const inFlight: Promise<unknown>[] = [];
      const flush = async (all: boolean) => {
        while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
          const joined = Buffer.concat(pending);
          const data = joined.subarray(0, CHUNK_BYTES);
          const rest = joined.subarray(data.length);
          const insert = insertImportFileChunk(knex, key, seq, data);
          insert.catch(() => {});
          inFlight.push(insert);
          if (inFlight.length >= CHUNKS_IN_FLIGHT) await inFlight.shift();
          seq += 1;
          pending = rest.length > 0 ? [rest] : [];
          pendingBytes = rest.length;
        }
        if (all) while (inFlight.length > 0) await inFlight.shift();
      };
      try {
        for await (const chunk of source) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          size += chunk.length;
          if (pendingBytes >= CHUNK_BYTES) await flush(false);
        }
        await flush(true);
      } catch (err) {
        await Promise.allSettled(inFlight);
        await deleteImportFileChunks(knex, key).catch(() => {});
        throw err;
      }
      return { key, sizeBytes: size };
    },
    read(key, offset) {
      async function* chunks(): AsyncGenerator<Buffer> {
        // Every chunk but the last holds exactly CHUNK_BYTES of the file, so the offset names its chunk.
        let seq = Math.floor(offset / CHUNK_BYTES);
        let skip = offset - seq * CHUNK_BYTES;
        // The next chunk is fetched while this one is parsed.
        let next = findImportFileChunk(knex, key, seq);
        for (;;) {
          const data = await next;
          if (!data) return;
          seq += 1;
          next = findImportFileChunk(knex, key, seq);
          next.catch(() => {});
          if (skip < data.length) yield skip > 0 ? data.subarray(skip) : data;
          skip = Math.max(0, skip - data.length);
        }
      }
      return Readable.from(chunks(), { objectMode: false });
    },
    async remove(key) {
      await deleteImportFileChunks(knex, key);
    },
    async exists(key) {
      // Every stored file has its first chunk (an empty upload stores none, and needs none).
      return (await knex('import_file_chunks').select('seq').where({ upload_key: key, seq: 0 }).first()) !== undefined;
    },
  };
}

function fileStore(dir: string): ImportFileStore {
  const fileOf = (key: string) => path.join(dir, `${key}.csv`);
  return {
    kind: 'file',
    async save(source) {
      mkdirSync(dir, { recursive: true });
      const key = randomUUID();
      let size = 0;
      async function* counted(): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          size += chunk.length;
          yield chunk;
        }
      }
      try {
        await pipeline(Readable.from(counted(), { objectMode: false }), createWriteStream(fileOf(key), { mode: 0o600 }));
      } catch (err) {
        await rm(fileOf(key), { force: true });
        throw err;
      }
      return { key, sizeBytes: size };
    },
    read(key, offset) {
      return createReadStream(fileOf(key), { start: offset });
    },
    async remove(key) {
      await rm(fileOf(key), { force: true });
    },
    async exists(key) {
      return existsSync(fileOf(key));
    },
  };
}
