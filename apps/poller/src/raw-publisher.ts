import { randomUUID } from 'node:crypto';
import { encodeProgressRecord, encodeRawRecord, rawId, type RawContentType } from '#contracts';
import { isJournalwireError, JournalwireError } from '#errors';
import { type KafkaGateway, type OutgoingRecord, type ReliableProducer } from '#kafka';
import type { Logger } from '#logger';
import { startTrace } from '#platform';
import { withDeadline } from './deadline.js';
import type { InFlightMarker, InFlightPort } from './in-flight.js';
import { settleInFlight, type InFlightScanner } from './in-flight-settlement.js';
import type { LedgerEntry, LedgerPort } from './ledger.js';

/** One message ready for journal.raw.v2: its bytes inline, or a claim-check JSON. */
export interface ExtractedMessage {
  msg: number;
  uidl: string;
  sha256: string;
  /** Size of the message itself (not of the record value). */
  size: number;
  /** The size LIST announced for it. */
  listSize: number;
  value: Buffer;
  contentType: RawContentType;
  extractedAt: string;
}

/** Publishes one mailbox's batches for the length of a session. */
export interface BatchPublisher {
  /**
   * Publishes the batch in one Kafka transaction (acks=all) and records it in the ledger. Resolves
   * only when both are done: then, and only then, its messages may be DELEted. Otherwise throws
   * (`kafka-unavailable`, or abandoned on shutdown) and none of the batch counts as published.
   */
  publish(messages: ExtractedMessage[], signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** Wall-clock ms spent so far per step of publishing (for the session's stage times). */
  readonly timings?: PublishTimings;
}

export interface PublishTimings {
  /** Writing and clearing the in-flight marker (Redis). */
  marker: number;
  /** The Kafka transaction: produce requests with acks=all, then the commit. */
  kafka: number;
  /** The ledger rows (PostgreSQL). */
  ledger: number;
}

export interface RawPublisherPort {
  /**
   * Opens the connector's transactional producer, which fences any earlier one (a crashed or
   * stalled poller can no longer commit), then settles a publish that earlier one left in flight.
   */
  open(connectorId: string, scope: string, signal?: AbortSignal): Promise<BatchPublisher>;
  /**
   * Settles a publish an earlier session left in flight without starting one (a suspended
   * connector has no next session to do it); false when nothing was in flight.
   */
  settleLeftover(connectorId: string, scope: string, signal?: AbortSignal): Promise<boolean>;
}

export interface RawPublisherSettings {
  instanceId: string;
  /** Bytes of one partition's record batch in a produce request (below the topic's max.message.bytes). */
  maxPartitionBytes: number;
  /** Longest wait for Kafka (opening, one batch's transaction, settling). */
  timeoutMs: number;
}

/** The transactional id of a connector's raw publisher: one writer per mailbox, fenced on takeover. */
export function transactionalIdFor(connectorId: string): string {
  return `journalwire-poller-${connectorId}`;
}

/**
 * Publishes to journal.raw.v2 with one transactional producer per connector and session. A batch
 * is one transaction; an in-flight marker (Redis) names it until the ledger has its rows, so an
 * interruption at any point is settled by the next session: fence, then read back what committed.
 */
export class TransactionalRawPublisher implements RawPublisherPort {
  constructor(
    private readonly kafka: KafkaGateway,
    private readonly inFlight: InFlightPort,
    private readonly scanner: InFlightScanner,
    private readonly ledger: LedgerPort,
    private readonly logger: Logger,
    private readonly settings: RawPublisherSettings,
  ) {}

  async open(connectorId: string, scope: string, signal?: AbortSignal): Promise<BatchPublisher> {
    const { timeoutMs } = this.settings;
    const created = this.kafka.createProducer({ transactionalId: transactionalIdFor(connectorId) });
    let producer: ReliableProducer;
    try {
      producer = await withDeadline(
        created.then(async (reliable) => {
          // The first transaction initialises the producer id: the coordinator bumps the epoch,
          // aborting whatever an earlier producer of this connector left open.
          await (await reliable.transaction()).abort();
          return reliable;
        }),
        timeoutMs,
        () =>
          new JournalwireError(
            'kafka-unavailable',
            `Kafka did not set up the connector's transactional producer within ${timeoutMs} ms`,
            { retryable: true },
          ),
        signal,
      );
    } catch (error) {
      void created.then((p) => p.disconnect()).catch(() => undefined);
      throw asKafkaUnavailable(error);
    }
    const publisher = new ConnectorBatchPublisher(
      connectorId,
      scope,
      producer,
      this.inFlight,
      this.ledger,
      this.settings,
    );
    try {
      const { inFlight, scanner, ledger, logger } = this;
      await settleInFlight(connectorId, scope, inFlight, scanner, ledger, logger, timeoutMs, signal);
    } catch (error) {
      await publisher.close();
      throw error;
    }
    return publisher;
  }

  async settleLeftover(connectorId: string, scope: string, signal?: AbortSignal): Promise<boolean> {
    if (!(await this.inFlight.get(connectorId))) return false;
    await (await this.open(connectorId, scope, signal)).close();
    return true;
  }
}

class ConnectorBatchPublisher implements BatchPublisher {
  private failed: JournalwireError | null = null;
  readonly timings: PublishTimings = { marker: 0, kafka: 0, ledger: 0 };

  constructor(
    private readonly connectorId: string,
    private readonly scope: string,
    private readonly producer: ReliableProducer,
    private readonly inFlight: InFlightPort,
    private readonly ledger: LedgerPort,
    private readonly settings: RawPublisherSettings,
  ) {}

  async publish(messages: ExtractedMessage[], signal?: AbortSignal): Promise<void> {
    if (messages.length === 0) return;
    if (this.failed) throw this.failed;
    const { timeoutMs, maxPartitionBytes, instanceId } = this.settings;
    const entries = messages.map(ledgerEntry);
    const marker: InFlightMarker = {
      token: randomUUID(),
      instanceId,
      at: Date.now(),
      scope: this.scope,
      keys: 'raw-id',
      entries,
    };
    let started = performance.now();
    await this.inFlight.set(this.connectorId, marker);
    this.timings.marker += performance.now() - started;
    started = performance.now();
    const attempt = (async () => {
      const transaction = await this.producer.transaction();
      try {
        // Records are keyed by raw id: a request holds one record batch per partition it touches.
        // Each raw record goes with its progress record (what the status service counts).
        await transaction.send(
          messages.flatMap((m) => rawRecords(this.connectorId, m)),
          maxPartitionBytes,
        );
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
      await transaction.commit();
    })();
    try {
      await withDeadline(
        attempt,
        timeoutMs,
        () =>
          new JournalwireError(
            'kafka-unavailable',
            `Kafka did not commit ${messages.length} record(s) within ${timeoutMs} ms`,
            { retryable: true },
          ),
        signal,
      );
    } catch (error) {
      // The outcome may be unknown (a commit without an answer): the marker stays, and the next
      // session fences this producer and reads back what committed. This one is done.
      this.failed = asKafkaUnavailable(error);
      throw this.failed;
    } finally {
      this.timings.kafka += performance.now() - started;
    }
    // Committed with acks=all: remember it before anything may DELE it.
    started = performance.now();
    await this.ledger.recordPublished(this.connectorId, this.scope, entries);
    this.timings.ledger += performance.now() - started;
    started = performance.now();
    await this.inFlight.clear(this.connectorId, marker);
    this.timings.marker += performance.now() - started;
  }

  async close(): Promise<void> {
    await withDeadline(this.producer.disconnect(), 5000, () => new Error('disconnect timed out')).catch(
      () => undefined,
    );
  }
}

function asKafkaUnavailable(error: unknown): JournalwireError {
  if (isJournalwireError(error)) return error;
  return new JournalwireError(
    'kafka-unavailable',
    `Kafka is unavailable: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, retryable: true },
  );
}

function ledgerEntry(message: ExtractedMessage): LedgerEntry {
  return { uidl: message.uidl, sha256: message.sha256, size: message.size, listSize: message.listSize };
}

/**
 * What publishing one message writes, in one transaction: its raw record and the
 * journal.progress.v1 record (event `extracted`) the status service counts it by.
 */
export function rawRecords(connectorId: string, message: ExtractedMessage): [OutgoingRecord, OutgoingRecord] {
  return [
    rawRecord(connectorId, message),
    encodeProgressRecord({ event: 'extracted', connectorId, rawId: rawId(connectorId, message.sha256) }),
  ];
}

export function rawRecord(connectorId: string, message: ExtractedMessage): OutgoingRecord {
  const { value, contentType, sha256, size } = message;
  return encodeRawRecord({
    connectorId,
    uidl: message.uidl,
    extractedAt: message.extractedAt,
    body: { value, contentType, sha256, size },
    traceparent: startTrace('poller.extract', {
      'journalwire.connector': connectorId,
      'journalwire.uidl': message.uidl,
    }),
  });
}
