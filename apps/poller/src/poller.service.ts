import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { TOPICS } from '#contracts';
import { checkTopicsFitAtStart, type KafkaGateway } from '#kafka';
import type { Logger } from '#logger';
import { CONFIG, KAFKA, LOGGER } from '#platform';
import type { PollerConfig } from './config.js';
import type { PollerRuntime } from './runtime.js';
import { POLLER_RUNTIME } from './tokens.js';

/** Starts the scheduler once the app is up; on SIGTERM stops sessions safely before the clients close. */
@Injectable()
export class PollerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(POLLER_RUNTIME) private readonly runtime: PollerRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) private readonly kafka: KafkaGateway,
    @Inject(CONFIG) private readonly config: PollerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // One produce request is one record batch per partition: more than the topics allow fails the start.
    await checkTopicsFitAtStart(
      this.kafka,
      [TOPICS.raw, TOPICS.progress],
      { name: 'PRODUCE_MAX_BYTES', value: this.config.PRODUCE_MAX_BYTES },
      this.logger,
    );
    this.runtime.scheduler.start();
    this.logger.info(this.runtime.summary, 'poller scheduler started');
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'poller stopping: finishing current batches');
    await this.runtime.scheduler.stop();
    await this.runtime.close();
    this.logger.info('poller stopped; leases released');
  }
}
