import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { CONFIG, DATA_SOURCE, KAFKA, LOGGER } from '#platform';
import { RetentionJob } from '#retention';
import type { PolicyConfig } from './config.js';

/** Runs the pruning job (libs/retention) every PRUNE_INTERVAL_MS; one instance at a time prunes. */
@Injectable()
export class RetentionTimer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly job: RetentionJob;

  constructor(
    @Inject(CONFIG) private readonly config: PolicyConfig,
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(KAFKA) kafka: KafkaGateway,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.job = new RetentionJob(
      { dataSource, kafka, logger, blobDir: config.BLOB_DIR },
      {
        batchSize: config.PRUNE_BATCH_SIZE,
        dedupWindowDays: config.DEDUP_WINDOW_DAYS,
        eventRetentionDays: config.EVENT_RETENTION_DAYS,
        blobMarginHours: config.BLOB_PRUNE_MARGIN_HOURS,
      },
    );
  }

  onApplicationBootstrap(): void {
    this.job.start(this.config.PRUNE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }
}
