import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { blobDirectoryCheck, FileSystemBlobStore } from '#blob-store';
import { kafkaConnection, type ProcessorServiceConfig } from '#config';
import {
  consumerLag,
  KafkaGateway,
  ProcessorState,
  TransactionalProcessor,
  type IncomingRecord,
  type OutgoingRecord,
  type RecordResult,
} from '#kafka';
import type { Logger } from '#logger';
import { ConnectorSettingsCache } from '#persistence';
import { HealthModule } from './health.module.js';
import { DATA_SOURCE, InfrastructureModule, KAFKA, readinessProviderWith } from './infrastructure.module.js';
import { MetricsModule, PipelineMetrics } from './metrics.js';
import { CONFIG, LOGGER } from './tokens.js';

export const PROCESSOR_STATE = Symbol('journalwire.processor-state');
export const BLOB_STORE = Symbol('journalwire.blob-store');
export const CONNECTOR_SETTINGS = Symbol('journalwire.connector-settings');
const PROCESSOR_HANDLER = Symbol('journalwire.processor-handler');
const PROCESSOR_SOURCE = Symbol('journalwire.processor-source');

/** What a processor service does with its records; the ProcessorModule runs everything else. */
export interface ProcessorHandler {
  /** One result per record, in order (see ProcessorOptions.handleChunk). */
  handleChunk(records: IncomingRecord[]): Promise<RecordResult[]>;
  /** The outputs of a record that failed: its dead letter. */
  deadLetter(record: IncomingRecord, error: unknown, attempts: number): Promise<OutgoingRecord>;
  /** After each committed transaction: metrics. */
  committed(outputs: OutgoingRecord[]): void;
}

interface ProcessorSource {
  groupId: string;
  topics: string[];
}

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
 * Runs a TransactionalProcessor for the app's handler: starts it once the app is up, stops it
 * before the connections close, and waits for PostgreSQL and the blob store during an outage.
 */
@Injectable()
class ProcessorLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private processor: TransactionalProcessor | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaGateway,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(CONFIG) private readonly config: ProcessorServiceConfig,
    @Inject(PROCESSOR_SOURCE) private readonly source: ProcessorSource,
    @Inject(PROCESSOR_STATE) private readonly state: ProcessorState,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(PROCESSOR_HANDLER) private readonly handler: ProcessorHandler,
  ) {}

  onApplicationBootstrap(): void {
    this.processor = new TransactionalProcessor(this.kafka, this.logger, {
      groupId: this.source.groupId,
      topics: this.source.topics,
      transactionalId: `journalwire-${this.config.INSTANCE_ID}`,
      chunkSize: this.config.PROCESSOR_CHUNK_SIZE,
      maxAttempts: this.config.PROCESSOR_MAX_ATTEMPTS,
      retryBackoffMs: this.config.PROCESSOR_RETRY_BACKOFF_MS,
      attemptTimeoutMs: this.config.PROCESSOR_ATTEMPT_TIMEOUT_MS,
      state: this.state,
      dependencies: [
        { name: 'postgresql', check: async () => void (await this.dataSource.query('SELECT 1')) },
        { name: 'blob-store', check: () => blobDirectoryCheck(this.config.BLOB_DIR) },
      ],
      handleChunk: (records) => this.handler.handleChunk(records),
      onError: async (record, error, attempts) => [await this.handler.deadLetter(record, error, attempts)],
      onCommitted: (_records, outputs) => this.handler.committed(outputs),
    });
    this.processor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.processor?.stop();
  }
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
        { provide: PROCESSOR_SOURCE, useValue: { groupId: options.groupId, topics: options.topics } },
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
