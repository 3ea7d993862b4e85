import { Readable } from 'node:stream';
import test from 'ava';
import { CHUNK_BYTES, createImportFileStore } from '../../models/import-file-store.ts';
import { eachAdapterSet } from '../helpers/adapters.ts';

/**
 * Uploaded files wait where every worker can read them: on MySQL in the database, in chunks; on
 * the embedded defaults in a local file. A batch resumes at any byte offset.
 */
eachAdapterSet((set) => {
  test(`${set.name}: a stored upload reads back byte for byte from any offset, and is gone once removed`, async (t) => {
    const env = await set.setup();
    t.teardown(() => env.teardown());
    const store = createImportFileStore(env.knex);
    const lines: string[] = ['name,sku,description'];
    for (let i = 0, length = 0; length < 3.5 * CHUNK_BYTES; i++) {
      lines.push(`Crème brûlée ${i},sku-${i},"📦 line ${i}\nand more ${i * 7}"`);
      length += lines.at(-1)!.length + 2;
    }
    const file = Buffer.from(lines.join('\r\n'));
    // Arriving in pieces that do not line up with the stored chunks.
    const pieces: Buffer[] = [];
    for (let i = 0; i < file.length; i += 65_537) pieces.push(file.subarray(i, i + 65_537));
    const { key, sizeBytes } = await store.save(Readable.from(pieces));
    t.is(sizeBytes, file.length);
    t.true(await store.exists(key));
    const readFrom = async (offset: number) => Buffer.concat(await store.read(key, offset).toArray());
    for (const offset of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 2 * CHUNK_BYTES + 12_345, file.length - 1, file.length]) {
      t.true((await readFrom(offset)).equals(file.subarray(offset)), `from byte ${offset}`);
    }
    await store.remove(key);
    t.false(await store.exists(key));
  });
});
