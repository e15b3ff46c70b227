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
import { ClassifyProcessor } from './classify-processor.js';
import type { EnvelopeConfig } from './config.js';
import { DirectoryCache } from './directory-cache.js';
import { BLOB_STORE, CONNECTOR_SETTINGS, PROCESSOR_STATE } from './tokens.js';

@Module({})
export class EnvelopeModule {
  static register(config: EnvelopeConfig, logger: Logger): DynamicModule {
    const lagClient = new KafkaGateway(kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-envelope-lag`), logger);
    const processorState = new ProcessorState();
    return {
      module: EnvelopeModule,
      imports: [
        InfrastructureModule.register({
          logger,
          databaseUrl: config.DATABASE_URL,
          kafka: kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-envelope`),
        }),
        HealthModule.register(readinessProviderWith([processorState.readinessCheck()])),
        MetricsModule.register(new PipelineMetrics(), {
          lag: () => consumerLag(lagClient, CONSUMER_GROUPS.envelope, [TOPICS.raw]),
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
        DirectoryCache,
        ClassifyProcessor,
      ],
    };
  }
}
