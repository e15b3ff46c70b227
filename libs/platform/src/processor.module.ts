import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { FileSystemBlobStore } from '#blob-store';
import { kafkaConnection, type ProcessorServiceConfig } from '#config';
import { consumerLag, KafkaGateway, ProcessorState } from '#kafka';
import type { Logger } from '#logger';
import { ConnectorSettingsCache } from '#persistence';
import { HealthModule } from './health.module.js';
import { DATA_SOURCE, InfrastructureModule, readinessProviderWith } from './infrastructure.module.js';
import { MetricsModule, PipelineMetrics } from './metrics.js';
import {
  PROCESSOR_HANDLER,
  PROCESSOR_SOURCE,
  PROCESSOR_STATE,
  ProcessorLifecycle,
  type ProcessorHandler,
  type ProcessorSource,
} from './processor-lifecycle.js';
import { CONFIG } from './tokens.js';

export const BLOB_STORE = Symbol('journalwire.blob-store');
export const CONNECTOR_SETTINGS = Symbol('journalwire.connector-settings');

export interface ProcessorModuleOptions extends ProcessorSource {
  /** The app's name: client ids (`<KAFKA_CLIENT_ID>-<service>`), the shutdown line. */
  service: string;
  config: ProcessorServiceConfig;
  logger: Logger;
  /** The app's provider that handles the records. */
  handler: Type<ProcessorHandler>;
  /** The app's other providers (caches, stores, timers). */
  providers?: Provider[];
}

/**
 * The module of a consume-produce service (envelope, policy): PostgreSQL and Kafka
 * (InfrastructureModule), health with the processor's readiness, metrics with its consumer lag,
 * the blob store, the connector settings cache, and the processor's lifecycle around the app's
 * handler.
 */
@Module({})
export class ProcessorModule {
  /** `module` is the app's own module class, so the app's providers and the processor share one module. */
  static register(module: Type, options: ProcessorModuleOptions): DynamicModule {
    const { service, config, logger } = options;
    const lagClient = new KafkaGateway(kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-${service}-lag`), logger);
    const state = new ProcessorState();
    return {
      module,
      imports: [
        InfrastructureModule.register({
          service,
          logger,
          databaseUrl: config.DATABASE_URL,
          kafka: kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-${service}`),
        }),
        HealthModule.register(readinessProviderWith([state.readinessCheck()])),
        MetricsModule.register(new PipelineMetrics(), {
          lag: () => consumerLag(lagClient, options.groupId, options.topics),
        }),
      ],
      providers: [
        { provide: CONFIG, useValue: config },
        {
          provide: PROCESSOR_SOURCE,
          useValue: { groupId: options.groupId, topics: options.topics, outputs: options.outputs },
        },
        { provide: PROCESSOR_STATE, useValue: state },
        { provide: BLOB_STORE, useValue: new FileSystemBlobStore(config.BLOB_DIR) },
        {
          provide: CONNECTOR_SETTINGS,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => new ConnectorSettingsCache(dataSource),
        },
        ...(options.providers ?? []),
        options.handler,
        { provide: PROCESSOR_HANDLER, useExisting: options.handler },
        ProcessorLifecycle,
      ],
    };
  }
}
