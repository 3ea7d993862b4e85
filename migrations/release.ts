import { loadConfigOrExit } from '../config/boot.ts';
import { openKnex } from '../boot/runtime.ts';
import { migrateLatest } from './index.ts';

/** The `release` process: brings the database schema up to date, then exits. */
const config = loadConfigOrExit();
const knex = openKnex(config);
try {
  const applied = await migrateLatest(knex);
  process.stdout.write(applied.length ? `Applied migrations:\n${applied.map((m) => `  ${m}`).join('\n')}\n` : 'Database schema is up to date.\n');
} finally {
  await knex.destroy();
}
