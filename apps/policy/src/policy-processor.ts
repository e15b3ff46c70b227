import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { deadLetterOf, encodeFitting, resolveOverflow, type BlobStore } from '#blob-store';
import {
  ARCHIVED_PLACEHOLDERS,
  archivedRecordSchema,
  boundedKey,
  classifiedRecordSchema,
  connectorOfKey,
  decodeMessageRecord,
  encodeProgressRecord,
  RAW_CONTENT_TYPES,
  RECORD_HEADERS,
  rejectedRecordSchema,
  TOPICS,
  type ArchivedRecord,
  type ClassifiedRecord,
  type EncodedRecord,
  type MessageBody,
  type OriginalRange,
  type RawRecordRef,
} from '#contracts';
import { isJournalwireError, JournalwireError, toJournalwireError } from '#errors';
import {
  headersToStrings,
  type IncomingRecord,
  type OutgoingRecord,
  type RecordResult,
  yieldToEventLoop,
} from '#kafka';
import type { Logger } from '#logger';
import type { ConnectorSettingsCache } from '#persistence';
import {
  BLOB_STORE,
  CONFIG,
  CONNECTOR_SETTINGS,
  LOGGER,
  METRICS,
  withMessageSpan,
  type PipelineMetrics,
  type ProcessorHandler,
} from '#platform';
import {
  archiveIdOf,
  dedupKeyOf,
  JournalHeaderRemover,
  planChunk,
  removeJournalHeaders,
  shiftRanges,
  type PlanInput,
  type PlannedOutcome,
  type RejectReason,
  type ByteRange,
  type RemovedHeader,
} from '#policy';
import type { PolicyConfig } from './config.js';
import type { OutcomeStore } from './outcome-store.js';
import { OUTCOME_STORE } from './tokens.js';

/** A classified record's metadata with the message its value carries. */
interface Classified {
  index: number;
  classified: ClassifiedRecord;
  message: MessageBody;
  traceparent: string | undefined;
}

/**
 * journal.classified.v2 → the connector's journaling filters → exactly one outcome per raw
 * record: archived (journal.archived.v2, event "archive"), merged into an earlier archive
 * (event "merge"), rejected (journal.rejected.v2) or dead-lettered (journal.dlq.v2).
 */
@Injectable()
export class PolicyProcessor implements ProcessorHandler {
  constructor(
    @Inject(CONFIG) private readonly config: PolicyConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(CONNECTOR_SETTINGS) private readonly connectors: ConnectorSettingsCache,
    @Inject(OUTCOME_STORE) private readonly outcomes: OutcomeStore,
    @Inject(METRICS) private readonly metrics: PipelineMetrics,
  ) {}

  /**
   * Decides a chunk: two PostgreSQL reads, one transaction, then each record's outputs. When
   * PostgreSQL refuses the chunk's data, each record is decided alone, so only the record it
   * refuses becomes a dead letter.
   */
  async handleChunk(records: IncomingRecord[]): Promise<RecordResult[]> {
    try {
      return await this.decideChunk(records);
    } catch (error) {
      if (!isJournalwireError(error) || error.retryable) throw error;
      if (records.length === 1) return [{ error }];
      this.logger.warn(
        { err: error, records: records.length },
        'PostgreSQL refused a chunk; deciding its records one by one',
      );
      const results: RecordResult[] = [];
      for (const record of records) results.push(...(await this.handleChunk([record])));
      return results;
    }
  }

  private async decideChunk(records: IncomingRecord[]): Promise<RecordResult[]> {
    const results: Array<RecordResult | undefined> = new Array(records.length);
    const decoded: Classified[] = [];
    for (const [index, record] of records.entries()) {
      try {
        const headers = headersToStrings(record.headers);
        const { record: meta, message } = decodeMessageRecord(classifiedRecordSchema, record.value, headers);
        if (message === null) throw new JournalwireError('validation', 'Classified record carries no message');
        const classified = await resolveOverflow(classifiedRecordSchema, meta, this.blobStore);
        decoded.push({ index, classified, message, traceparent: headers[RECORD_HEADERS.traceparent] });
      } catch (error) {
        // The blob store away: the chunk waits. Anything else is about this record.
        if (isJournalwireError(error) && error.retryable) throw error;
        results[index] = { error };
      }
    }
    const inputs = new Map<number, PolicyInput>();
    for (const { index, classified } of decoded) inputs.set(index, await this.planInput(classified));

    for (let attempt = 1; ; attempt++) {
      const pending = decoded.filter(({ index }) => !results[index]);
      const priors = await this.outcomes.findOutcomes(pending.map(({ index }) => inputs.get(index)!.rawId));
      const claims = await this.outcomes.findClaims(pending.map(({ index }) => inputs.get(index)!.dedupKey));
      const plan = planChunk(
        pending.map(({ index }) => inputs.get(index)!),
        priors,
        claims,
      );
      // Archived records are built before anything is written: a message that cannot be archived
      // (its claim-checked blob is gone) becomes a dead letter, and the chunk is planned without it.
      const built: RecordResult[] = [];
      for (const [i, item] of pending.entries()) {
        built.push(
          await this.outputsFor(item, inputs.get(item.index)!, plan.outcomes[i]!).catch((error: unknown) => ({
            error,
          })),
        );
        await yieldToEventLoop();
      }
      const failures = built.flatMap((result, i) =>
        'error' in result ? [{ index: pending[i]!.index, error: result.error }] : [],
      );
      const transient = failures.find(({ error }) => isJournalwireError(error) && error.retryable);
      if (transient) throw transient.error;
      if (failures.length > 0) {
        for (const { index, error } of failures) results[index] = { error };
        continue;
      }
      if (await this.outcomes.apply(plan.writes)) {
        pending.forEach(({ index }, i) => (results[index] = built[i]!));
        return results.map((result) => result!);
      }
      // Another instance claimed one of the dedup keys meanwhile: read again and plan again.
      if (attempt >= 5)
        throw new JournalwireError(
          'internal',
          'Dedup keys kept being claimed by another instance; retrying the chunk',
          { retryable: true },
        );
    }
  }

  private async planInput(classified: ClassifiedRecord): Promise<PolicyInput> {
    const connector = await this.connectors.get(classified.connectorId);
    const dedupKey = dedupKeyOf(classified.dedupKey, classified.rawId);
    return {
      rawId: classified.rawId,
      source: classified.rawRecord,
      replay: classified.replayOf !== undefined,
      classification: classified.classification,
      flags: connector
        ? { journalNonInternal: connector.journalNonInternal, journalUnknownInternal: connector.journalUnknownInternal }
        : null,
      dedupKey,
      archiveId: archiveIdOf(dedupKey),
      mailboxes: classified.internalMailboxes,
      removeJournalHeaders: connector?.removeJournalHeaders ?? false,
    };
  }

  private outputsFor(
    { classified, message, traceparent }: Classified,
    input: PolicyInput,
    outcome: PlannedOutcome,
  ): Promise<RecordResult> {
    const attributes = {
      'journalwire.connector': classified.connectorId,
      'journalwire.uidl': classified.uidl,
      'journalwire.outcome': outcome.kind,
    };
    return withMessageSpan('policy.apply', traceparent, attributes, async (next) => {
      const headers: Record<string, string> = next ? { traceparent: next } : {};
      if (outcome.kind === 'reject')
        return { outputs: [await this.rejected(classified, message, outcome.reason, headers)] };
      if (outcome.kind === 'merge')
        return {
          outputs: [
            await this.mergeEvent(classified, outcome.archiveId, headers),
            progressOf(classified, 'merge', outcome.archiveId),
          ],
        };
      const archived = await this.archive(classified, message, outcome.archiveId, input.removeJournalHeaders);
      const encoded = await this.fitArchived(archived.record, archived.message, outcome.archiveId, headers);
      return {
        outputs: [
          {
            topic: TOPICS.archived,
            key: outcome.archiveId,
            ...encoded,
            facts: {
              connector: classified.connectorId,
              event: 'archive',
              extractedAt: classified.extractedAt,
              bytes: String(
                encoded.headers[RECORD_HEADERS.contentType] === RAW_CONTENT_TYPES.inline ? encoded.value.length : 0,
              ),
            },
          },
          progressOf(classified, 'archive', outcome.archiveId),
        ],
      };
    });
  }

  /** Metrics of committed outputs, by topic (a progress record counts nothing: its archive does). */
  committed(outputs: OutgoingRecord[]): void {
    for (const output of outputs) {
      if (output.topic === TOPICS.progress) continue;
      const facts = output.facts ?? {};
      if (output.topic === TOPICS.archived) {
        this.metrics.archived.inc({ connector: facts.connector, event: facts.event });
        if (facts.bytes) this.metrics.archivedBytes.inc({ connector: facts.connector }, Number(facts.bytes));
      } else if (output.topic === TOPICS.rejected) {
        this.metrics.rejected.inc({ connector: facts.connector, reason: facts.reason });
      } else if (output.topic === TOPICS.dlq) {
        this.metrics.deadLettered.inc({ connector: facts.connector ?? 'unknown', stage: 'policy' });
      }
      if (facts.extractedAt) this.metrics.observeLatency('outcome', facts.extractedAt);
    }
  }

  /** The archive: the report as kept, and where each original sits in it. */
  private async archive(
    classified: ClassifiedRecord,
    message: MessageBody,
    archiveId: string,
    removeHeaders: boolean,
  ): Promise<{ record: ArchivedRecord; message: MessageBody }> {
    let kept = message;
    let sha256After = classified.sha256;
    let removedHeaders: string[] = [];
    let originals: OriginalRange[] = classified.originals;
    if (removeHeaders) {
      const result = await this.withoutJournalHeaders(message);
      if (result) {
        removedHeaders = result.removed.map((r) =>
          r.where === 'top-level' ? r.field : `${r.field} (original ${r.index ?? 0})`,
        );
        sha256After = result.sha256;
        kept = result.message;
        originals = shiftRanges(originals, result.ranges);
      }
    }
    const record: ArchivedRecord = {
      ...this.recordBase(classified, archiveId),
      event: 'archive',
      sha256After,
      removedHeaders,
      originals,
      archivedAt: new Date().toISOString(),
    };
    return { record, message: kept };
  }

  private fitArchived(
    record: ArchivedRecord,
    message: MessageBody | null,
    key: string,
    headers: Record<string, string>,
  ): Promise<EncodedRecord> {
    return encodeFitting(record, message, {
      schema: archivedRecordSchema,
      key,
      maxMessageBytes: this.config.KAFKA_MAX_MESSAGE_BYTES,
      headers,
      blobStore: this.blobStore,
      placeholders: ARCHIVED_PLACEHOLDERS,
    });
  }

  private async mergeEvent(
    classified: ClassifiedRecord,
    archiveId: string,
    headers: Record<string, string>,
  ): Promise<OutgoingRecord> {
    const merge: ArchivedRecord = {
      ...this.recordBase(classified, archiveId),
      event: 'merge',
      sha256After: classified.sha256,
      removedHeaders: [],
      originals: [],
      archivedAt: new Date().toISOString(),
    };
    return {
      topic: TOPICS.archived,
      key: archiveId,
      ...(await this.fitArchived(merge, null, archiveId, headers)),
      facts: { connector: classified.connectorId, event: 'merge', extractedAt: classified.extractedAt },
    };
  }

  private recordBase(classified: ClassifiedRecord, archiveId: string) {
    return {
      schema: 'journal.archived.v2' as const,
      archiveId,
      rawId: classified.rawId,
      rawRecord: classified.rawRecord,
      connectorId: classified.connectorId,
      uidl: classified.uidl,
      sha256Before: classified.sha256,
      kind: classified.kind,
      journalType: classified.journalType,
      classification: classified.classification,
      sender: classified.sender,
      recipients: classified.recipients,
      mailboxes: classified.internalMailboxes,
      unknownInternalAddresses: classified.unknownInternalAddresses,
      messageId: classified.messageId,
      subject: classified.subject,
      defects: classified.defects,
      extractedAt: classified.extractedAt,
    };
  }

  /** A rejection keeps the message (inline or claim check), so an operator can replay it. */
  private async rejected(
    classified: ClassifiedRecord,
    message: MessageBody,
    reason: RejectReason,
    headers: Record<string, string>,
  ): Promise<OutgoingRecord> {
    const key = boundedKey(classified.rawId);
    return {
      topic: TOPICS.rejected,
      key,
      ...(await encodeFitting(
        {
          schema: 'journal.rejected.v2',
          rawId: classified.rawId,
          rawRecord: classified.rawRecord,
          connectorId: classified.connectorId,
          uidl: classified.uidl,
          sha256: classified.sha256,
          reason,
          classification: classified.classification,
          messageId: classified.messageId,
          sender: classified.sender,
          subject: classified.subject,
          extractedAt: classified.extractedAt,
          rejectedAt: new Date().toISOString(),
        },
        message,
        {
          schema: rejectedRecordSchema,
          key,
          maxMessageBytes: this.config.KAFKA_MAX_MESSAGE_BYTES,
          headers,
          blobStore: this.blobStore,
          placeholders: { messageId: null, sender: null, subject: null },
        },
      )),
      facts: { connector: classified.connectorId, reason, extractedAt: classified.extractedAt },
    };
  }

  /**
   * The message without its journal headers: in memory when inline; streamed from one blob to
   * another when claim-checked, so a message of any size costs about 1 MiB. Null when the message
   * has none (a claim-checked one was then stored again under its own content address).
   */
  private async withoutJournalHeaders(
    ref: MessageBody,
  ): Promise<{ message: MessageBody; sha256: string; removed: RemovedHeader[]; ranges: ByteRange[] } | null> {
    if ('inline' in ref) {
      const result = removeJournalHeaders(ref.inline);
      if (result.removed.length === 0) return null;
      const sha256 = createHash('sha256').update(result.bytes).digest('hex');
      const message =
        result.bytes.length > this.config.INLINE_LIMIT_BYTES
          ? { claimCheck: await this.blobStore.put(result.bytes) }
          : { inline: result.bytes };
      return { message, sha256, removed: result.removed, ranges: result.ranges };
    }
    const source = this.blobStore.getStream(ref.claimCheck);
    const remover = new JournalHeaderRemover();
    source.on('error', (error) => remover.destroy(error));
    const claimCheck = await this.blobStore.putStream(source.pipe(remover));
    return remover.removed.length === 0
      ? null
      : { message: { claimCheck }, sha256: claimCheck.sha256, removed: remover.removed, ranges: remover.ranges };
  }

  /** The dead letter of a classified record: the error, where it sits, and the message when known. */
  async deadLetter(record: IncomingRecord, error: unknown, attempts: number): Promise<OutgoingRecord> {
    const failure = toJournalwireError(error, 'message-unparseable');
    const headers = headersToStrings(record.headers);
    let classified: Partial<ClassifiedRecord> = {};
    try {
      const meta: unknown = JSON.parse(headers[RECORD_HEADERS.meta] ?? '{}');
      if (typeof meta === 'object' && meta !== null) classified = meta as Partial<ClassifiedRecord>;
    } catch {
      // not JSON at all: dead-letter with what the record itself says
    }
    const connectorId =
      typeof classified.connectorId === 'string'
        ? classified.connectorId
        : (headers[RECORD_HEADERS.connectorId] ?? connectorOfKey(record.key) ?? 'unknown');
    return deadLetterOf(
      {
        rawId:
          typeof classified.rawId === 'string'
            ? classified.rawId
            : `${connectorId}/${record.topic}-${record.partition}-${record.offset}`,
        rawRecord: isRawRecordRef(classified.rawRecord) ? classified.rawRecord : null,
        connectorId,
        uidl: typeof classified.uidl === 'string' ? classified.uidl : null,
        sha256: typeof classified.sha256 === 'string' ? classified.sha256 : null,
        contentType: headers[RECORD_HEADERS.contentType],
        value: record.value,
      },
      { stage: 'policy', failure, record, attempts },
      { maxMessageBytes: this.config.KAFKA_MAX_MESSAGE_BYTES, blobStore: this.blobStore },
    );
  }
}

/**
 * The journal.progress.v1 record of an archive or merge: an output of the same record result, so it
 * commits in the same transaction as the journal.archived.v2 record it stands for.
 */
function progressOf(classified: ClassifiedRecord, event: 'archive' | 'merge', archiveId: string): OutgoingRecord {
  return encodeProgressRecord({ event, connectorId: classified.connectorId, rawId: classified.rawId, archiveId });
}

/** A message's decision input plus what archiving it needs. */
type PolicyInput = PlanInput & { removeJournalHeaders: boolean };

function isRawRecordRef(value: unknown): value is RawRecordRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as RawRecordRef).partition === 'number' &&
    typeof (value as RawRecordRef).offset === 'string'
  );
}
