import { loadConfigOrExit } from '../config/boot.ts';
import { createKnex } from '../models/db.ts';
import { migrateLatest } from './index.ts';
import path from 'node:path';

/** The `release` process: brings the database schema up to date, then exits. */
const config = loadConfigOrExit();
const knex = createKnex({ databaseUrl: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'shipsync.sqlite') });
try {
  const applied = await migrateLatest(knex);
  process.stdout.write(applied.length ? `Applied migrations:\n${applied.map((m) => `  ${m}`).join('\n')}\n` : 'Database schema is up to date.\n');
} finally {
  await knex.destroy();
}
