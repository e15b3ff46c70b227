import { z } from 'zod';
import { databaseSection, loadConfig } from '#config';
import { createDataSource, migrate } from '#persistence';
import { runCli } from './cli.js';

// npm run migrate: applies pending TypeORM migrations to DATABASE_URL.
runCli('migrate', async () => {
  const config = loadConfig(z.object(databaseSection));
  const dataSource = await createDataSource(config.DATABASE_URL).initialize();
  try {
    const applied = await migrate(dataSource);
    process.stdout.write(applied.length > 0 ? `applied: ${applied.join(', ')}\n` : 'schema up to date\n');
  } finally {
    await dataSource.destroy();
  }
});
