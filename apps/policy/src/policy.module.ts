import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CONSUMER_GROUPS, TOPICS } from '#contracts';
import type { Logger } from '#logger';
import { DATA_SOURCE, ProcessorModule } from '#platform';
import type { PolicyConfig } from './config.js';
import { OutcomeStore } from './outcome-store.js';
import { PolicyProcessor } from './policy-processor.js';
import { RetentionTimer } from './retention-timer.js';
import { OUTCOME_STORE } from './tokens.js';

/** journal.classified.v2 → PolicyProcessor → one outcome per record, plus the retention timer. */
@Module({})
export class PolicyModule {
  static register(config: PolicyConfig, logger: Logger): DynamicModule {
    return ProcessorModule.register(PolicyModule, {
      service: 'policy',
      config,
      logger,
      groupId: CONSUMER_GROUPS.policy,
      topics: [TOPICS.classified],
      outputs: [TOPICS.archived, TOPICS.rejected, TOPICS.dlq, TOPICS.progress],
      handler: PolicyProcessor,
      providers: [
        {
          provide: OUTCOME_STORE,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => new OutcomeStore(dataSource),
        },
        RetentionTimer,
      ],
    });
  }
}
