import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { blobDirectoryCheck } from '#blob-store';
import type { ProcessorServiceConfig } from '#config';
import {
  checkTopicsFitAtStart,
  TransactionalProcessor,
  type IncomingRecord,
  type KafkaGateway,
  type OutgoingRecord,
  type ProcessorState,
  type RecordResult,
} from '#kafka';
import type { Logger } from '#logger';
import { PostgresProcessingMarks } from '#persistence';
import { DATA_SOURCE, KAFKA } from './infrastructure.module.js';
import { CONFIG, LOGGER } from './tokens.js';

export const PROCESSOR_STATE = Symbol('journalwire.processor-state');
export const PROCESSOR_HANDLER = Symbol('journalwire.processor-handler');
export const PROCESSOR_SOURCE = Symbol('journalwire.processor-source');

/** What a processor service does with its records; the ProcessorModule runs everything else. */
export interface ProcessorHandler {
  /** One result per record, in order (see ProcessorOptions.handleChunk). */
  handleChunk(records: IncomingRecord[]): Promise<RecordResult[]>;
  /** The outputs of a record that failed: its dead letter. */
  deadLetter(record: IncomingRecord, error: unknown, attempts: number): Promise<OutgoingRecord>;
  /** After each committed transaction: metrics. */
  committed(outputs: OutgoingRecord[]): void;
}

export interface ProcessorSource {
  groupId: string;
  topics: string[];
  /** The topics it writes records sized against `KAFKA_MAX_MESSAGE_BYTES`. */
  outputs: string[];
}

/**
 * Runs a TransactionalProcessor for the app's handler: starts it once the app is up, stops it
 * before the connections close, and waits for PostgreSQL and the blob store during an outage.
 */
@Injectable()
export class ProcessorLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
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

  async onApplicationBootstrap(): Promise<void> {
    // Records are sized against KAFKA_MAX_MESSAGE_BYTES: more than an output topic allows fails the start.
    await checkTopicsFitAtStart(
      this.kafka,
      this.source.outputs,
      { name: 'KAFKA_MAX_MESSAGE_BYTES', value: this.config.KAFKA_MAX_MESSAGE_BYTES },
      this.logger,
    );
    this.processor = new TransactionalProcessor(this.kafka, this.logger, {
      groupId: this.source.groupId,
      topics: this.source.topics,
      transactionalId: `journalwire-${this.config.INSTANCE_ID}`,
      chunkSize: this.config.PROCESSOR_CHUNK_SIZE,
      maxAttempts: this.config.PROCESSOR_MAX_ATTEMPTS,
      retryBackoffMs: this.config.PROCESSOR_RETRY_BACKOFF_MS,
      attemptTimeoutMs: this.config.PROCESSOR_ATTEMPT_TIMEOUT_MS,
      state: this.state,
      marks: new PostgresProcessingMarks(this.dataSource),
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
