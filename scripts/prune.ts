import { z } from 'zod';
import { blobSection, databaseSection, kafkaConnection, kafkaSection, loadConfig, retentionSection } from '#config';
import { KafkaGateway } from '#kafka';
import { createLogger } from '#logger';
import { createDataSource } from '#persistence';
import { RetentionJob } from '#retention';
import { runCli } from './cli.js';

// npm run prune: one pruning run (ledger, outcomes, dedup keys, events, blobs), printed as JSON.
// The policy service runs the same job every PRUNE_INTERVAL_MS; only one run at a time proceeds.
runCli('prune', async () => {
  const config = loadConfig(z.object({ ...kafkaSection, ...databaseSection, ...blobSection, ...retentionSection }));
  const logger = createLogger({ service: 'prune', level: 'warn', destination: process.stderr });
  const dataSource = await createDataSource(config.DATABASE_URL, { poolSize: 2 }).initialize();
  const kafka = new KafkaGateway(kafkaConnection(config, 'journalwire-prune'), logger);
  try {
    const job = new RetentionJob(
      {
        dataSource,
        kafka,
        logger,
        blobDir: config.BLOB_DIR,
      },
      {
        batchSize: config.PRUNE_BATCH_SIZE,
        dedupWindowDays: config.DEDUP_WINDOW_DAYS,
        eventRetentionDays: config.EVENT_RETENTION_DAYS,
        blobMarginHours: config.BLOB_PRUNE_MARGIN_HOURS,
      },
    );
    const report = await job.runOnce();
    if (!report) {
      process.stderr.write('prune: another instance is pruning now; nothing done\n');
      return 3;
    }
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  } finally {
    await kafka.closeAdmin();
    await dataSource.destroy();
  }
});
