import { Module, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { kafkaConnection } from '#config';
import { FileSystemBlobStore } from '#blob-store';
import type { Logger } from '#logger';
import { ConnectorSettingsCache } from '#persistence';
import {
  CONFIG,
  DATA_SOURCE,
  HealthModule,
  InfrastructureModule,
  MetricsModule,
  PipelineMetrics,
  readinessProviderWith,
} from '#platform';
import { CONSUMER_GROUPS, TOPICS } from '#contracts';
import { consumerLag, KafkaGateway, ProcessorState } from '#kafka';
import type { PolicyConfig } from './config.js';
import { OutcomeStore } from './outcome-store.js';
import { PolicyProcessor } from './policy-processor.js';
import { RetentionTimer } from './retention-timer.js';
import { BLOB_STORE, CONNECTOR_SETTINGS, OUTCOME_STORE, PROCESSOR_STATE } from './tokens.js';

@Module({})
export class PolicyModule {
  static register(config: PolicyConfig, logger: Logger): DynamicModule {
    const lagClient = new KafkaGateway(kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-policy-lag`), logger);
    const processorState = new ProcessorState();
    return {
      module: PolicyModule,
      imports: [
        InfrastructureModule.register({
          logger,
          databaseUrl: config.DATABASE_URL,
          kafka: kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-policy`),
        }),
        HealthModule.register(readinessProviderWith([processorState.readinessCheck()])),
        MetricsModule.register(new PipelineMetrics(), {
          lag: () => consumerLag(lagClient, CONSUMER_GROUPS.policy, [TOPICS.classified]),
        }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: PROCESSOR_STATE, useValue: processorState },
        { provide: BLOB_STORE, useValue: new FileSystemBlobStore(config.BLOB_DIR) },
        {
          provide: CONNECTOR_SETTINGS,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => new ConnectorSettingsCache(dataSource),
        },
        {
          provide: OUTCOME_STORE,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => new OutcomeStore(dataSource),
        },
        PolicyProcessor,
        RetentionTimer,
      ],
    };
  }
}
