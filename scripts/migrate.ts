/** `npm run migrate`: creates the database if missing and applies pending migrations. */
import { loadConfig } from '../config';
import { createDatabaseIfMissing, createDb, migrateToLatest } from '../db/client';

async function main(): Promise<void> {
  const config = loadConfig();
  await createDatabaseIfMissing(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  try {
    const applied = await migrateToLatest(db);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
