import { Inject, Injectable } from '@nestjs/common';
import { deadLetterOf, encodeFitting, type BlobStore } from '#blob-store';
import {
  CLASSIFIED_PLACEHOLDERS,
  classifiedRecordSchema,
  connectorOfKey,
  parseRawHeaders,
  rawRecordKey,
  TOPICS,
  type RawHeaders,
} from '#contracts';
import { toJournalwireError } from '#errors';
import { buildClassifiedRecord, buildClassifiedRecordFromStream } from '#journal';
import { eachRecord, headersToStrings, type IncomingRecord, type OutgoingRecord, type RecordResult } from '#kafka';
import type { ConnectorSettingsCache } from '#persistence';
import {
  BLOB_STORE,
  CONFIG,
  CONNECTOR_SETTINGS,
  METRICS,
  withMessageSpan,
  type PipelineMetrics,
  type ProcessorHandler,
} from '#platform';
import type { EnvelopeConfig } from './config.js';
import { DirectoryCache } from './directory-cache.js';
import { rawMessageOf } from './message-source.js';

/** journal.raw.v2 → parse the envelope, classify → journal.classified.v2 (or journal.dlq.v2). */
@Injectable()
export class ClassifyProcessor implements ProcessorHandler {
  constructor(
    @Inject(CONFIG) private readonly config: EnvelopeConfig,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(CONNECTOR_SETTINGS) private readonly connectors: ConnectorSettingsCache,
    private readonly directory: DirectoryCache,
    @Inject(METRICS) private readonly metrics: PipelineMetrics,
  ) {}

  async handleChunk(records: IncomingRecord[]): Promise<RecordResult[]> {
    // The revision is checked per chunk, not only every DIRECTORY_REFRESH_MS: a message extracted
    // right after a directory import is classified with it (one indexed read per chunk).
    await this.directory.refreshQuietly();
    return eachRecord((record) => this.classify(record))(records);
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
    if (headers.replayOf) classified.replayOf = headers.replayOf;
    // Keyed like the raw record: a connector's messages spread over the policy instances.
    const key = rawRecordKey(headers.connectorId, headers.sha256);
    const encoded = await encodeFitting(classified, message.body, {
      schema: classifiedRecordSchema,
      key,
      maxMessageBytes: this.config.KAFKA_MAX_MESSAGE_BYTES,
      headers: traceparent ? { traceparent } : {},
      blobStore: this.blobStore,
      placeholders: CLASSIFIED_PLACEHOLDERS,
    });
    return [
      {
        topic: TOPICS.classified,
        key,
        ...encoded,
        facts: {
          connector: headers.connectorId,
          classification: classified.classification,
          kind: classified.kind,
          extractedAt: headers.extractedAt,
        },
      },
    ];
  }

  committed(outputs: OutgoingRecord[]): void {
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
        this.metrics.deadLettered.inc({ connector: facts.connector ?? 'unknown', stage: 'envelope' });
      }
    }
  }

  /** The dead letter of a raw record: the error, where the record sits, and the message itself. */
  async deadLetter(record: IncomingRecord, error: unknown, attempts: number): Promise<OutgoingRecord> {
    const failure = toJournalwireError(error, 'message-unparseable');
    const raw = headersToStrings(record.headers);
    const connectorId = raw['jw-connector-id'] ?? connectorOfKey(record.key) ?? 'unknown';
    const sha256 = raw['jw-sha256'];
    return deadLetterOf(
      {
        rawId: `${connectorId}/${sha256 ?? `${record.partition}-${record.offset}`}`,
        rawRecord: { partition: record.partition, offset: record.offset },
        connectorId,
        uidl: raw['jw-uidl'] ?? null,
        sha256,
        contentType: raw['content-type'],
        value: record.value,
      },
      { stage: 'envelope', failure, record, attempts },
      { maxMessageBytes: this.config.KAFKA_MAX_MESSAGE_BYTES, blobStore: this.blobStore },
    );
  }
}
