import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from '#logger';
import { LOGGER } from '#platform';
import type { PollerRuntime } from './runtime.js';
import { POLLER_RUNTIME } from './tokens.js';

/** Starts the scheduler once the app is up; on SIGTERM stops sessions safely before the clients close. */
@Injectable()
export class PollerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(POLLER_RUNTIME) private readonly runtime: PollerRuntime,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
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
