import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { BlobStore } from '#blob-store';
import {
  CONSUMER_GROUPS,
  encodeRecord,
  classifiedRecordSchema,
  deadLetterRecordSchema,
  parseRawHeaders,
  TOPICS,
  type RawHeaders,
} from '#contracts';
import { toJournalwireError } from '#errors';
import { buildClassifiedRecord, buildClassifiedRecordFromStream } from '#journal';
import {
  eachRecord,
  headersToStrings,
  TransactionalProcessor,
  type IncomingRecord,
  type KafkaGateway,
  type OutgoingRecord,
} from '#kafka';
import type { Logger } from '#logger';
import type { ConnectorSettingsCache } from '#persistence';
import { CONFIG, KAFKA, LOGGER, METRICS, withMessageSpan, type PipelineMetrics } from '#platform';
import type { EnvelopeConfig } from './config.js';
import { DirectoryCache } from './directory-cache.js';
import { rawMessageOf } from './message-source.js';
import { BLOB_STORE, CONNECTOR_SETTINGS } from './tokens.js';

/** journal.raw.v1 → parse the envelope, classify → journal.classified.v1 (or journal.dlq.v1). */
@Injectable()
export class ClassifyProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private processor: TransactionalProcessor | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: KafkaGateway,
    @Inject(CONFIG) private readonly config: EnvelopeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(CONNECTOR_SETTINGS) private readonly connectors: ConnectorSettingsCache,
    @Inject(DirectoryCache) private readonly directory: DirectoryCache,
    @Inject(METRICS) private readonly metrics: PipelineMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.processor = new TransactionalProcessor(this.kafka, this.logger, {
      groupId: CONSUMER_GROUPS.envelope,
      topics: [TOPICS.raw],
      transactionalId: `journalwire-${this.config.INSTANCE_ID}`,
      chunkSize: this.config.PROCESSOR_CHUNK_SIZE,
      handleChunk: eachRecord((record) => this.classify(record)),
      onError: (record, error) => [this.deadLetter(record, error)],
      onCommitted: (_records, outputs) => this.count(outputs),
    });
    this.processor.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.processor?.stop();
  }

  async classify(record: IncomingRecord): Promise<OutgoingRecord[]> {
    const headers = parseRawHeaders(headersToStrings(record.headers));
    return withMessageSpan(
      'envelope.classify',
      headers.traceparent,
      { 'journalwire.connector': headers.connectorId, 'journalwire.uidl': headers.uidl },
      (traceparent) => this.classifyMessage(record, headers, traceparent),
    );
  }

  private async classifyMessage(
    record: IncomingRecord,
    headers: RawHeaders,
    traceparent: string | undefined,
  ): Promise<OutgoingRecord[]> {
    const message = rawMessageOf(headers, record.value, this.blobStore);
    const connector = await this.connectors.get(headers.connectorId);
    const input = {
      message: message.ref,
      connectorId: headers.connectorId,
      uidl: headers.uidl,
      sha256: headers.sha256,
      size: headers.size,
      journalType: connector?.journalType ?? 'envelope',
      extractedAt: headers.extractedAt,
      directory: this.directory.current,
      // The journal mailbox's own address is never a participant (#18.4).
      journalMailbox: connector?.serviceEmailAddress ?? null,
      rawRecord: { partition: record.partition, offset: record.offset },
    };
    // A claim-checked message is parsed as a stream: a 100 MB report is never held in memory.
    const classified =
      message.kind === 'inline'
        ? buildClassifiedRecord({ ...input, raw: message.bytes })
        : await buildClassifiedRecordFromStream({ ...input, stream: message.open() });
    return [
      {
        topic: TOPICS.classified,
        key: headers.connectorId,
        value: encodeRecord(classifiedRecordSchema, classified),
        headers: traceparent ? { traceparent } : {},
        facts: {
          connector: headers.connectorId,
          classification: classified.classification,
          kind: classified.kind,
          extractedAt: headers.extractedAt,
        },
      },
    ];
  }

  private count(outputs: OutgoingRecord[]): void {
    for (const output of outputs) {
      const facts = output.facts ?? {};
      if (output.topic === TOPICS.classified) {
        this.metrics.classified.inc({
          connector: facts.connector,
          classification: facts.classification,
          kind: facts.kind,
        });
        if (facts.extractedAt) this.metrics.observeLatency('classified', facts.extractedAt);
      } else if (output.topic === TOPICS.dlq) {
        this.metrics.deadLettered.inc({ connector: output.key, stage: 'envelope' });
      }
    }
  }

  private deadLetter(record: IncomingRecord, error: unknown): OutgoingRecord {
    const failure = toJournalwireError(error, 'message-unparseable');
    const raw = headersToStrings(record.headers);
    const connectorId = raw['jw-connector-id'] ?? record.key?.toString('utf8') ?? 'unknown';
    const sha256 = raw['jw-sha256'];
    const inline =
      raw['content-type'] === 'message/rfc822' && record.value ? { inline: record.value.toString('base64') } : null;
    return {
      topic: TOPICS.dlq,
      key: connectorId,
      value: encodeRecord(deadLetterRecordSchema, {
        schema: 'journal.dlq.v1',
        rawId: `${connectorId}/${sha256 ?? `${record.partition}-${record.offset}`}`,
        rawRecord: { partition: record.partition, offset: record.offset },
        connectorId,
        uidl: raw['jw-uidl'] ?? null,
        sha256: sha256 && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : null,
        stage: 'envelope',
        error: { code: failure.code, message: failure.message },
        source: { topic: record.topic, partition: record.partition, offset: record.offset },
        message: inline,
        failedAt: new Date().toISOString(),
      }),
    };
  }
}
