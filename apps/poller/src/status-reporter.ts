import type { Redis } from 'ioredis';
import {
  connectorStatusRecordSchema,
  encodeRecord,
  TOPICS,
  type ConnectorStatusRecord,
  type ServiceState,
} from '#contracts';
import { isJournalwireError, JournalwireError } from '#errors';
import type { KafkaGateway, OutgoingRecord, ReliableProducer } from '#kafka';
import type { Logger } from '#logger';
import { withDeadline } from './deadline.js';
import type { LedgerPort } from './ledger.js';

/**
 * A lazily created idempotent producer (for status records) that is thrown away after any failed
 * send, so a later send never reuses the failed one's sequence numbers.
 */
export class ProducerSlot {
  private producer: Promise<ReliableProducer> | null = null;

  constructor(
    private readonly kafka: KafkaGateway,
    private readonly logger: Logger,
  ) {}

  /**
   * Sends and waits for acks=all, at most `timeoutMs` (then `kafka-unavailable`: the records may
   * or may not have arrived) and no longer than `signal` allows (shutdown: abandoned).
   */
  async send(records: OutgoingRecord[], options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const current = (this.producer ??= this.kafka.createProducer());
    try {
      await withDeadline(
        current.then((producer) => producer.send(records)),
        options.timeoutMs,
        () =>
          new JournalwireError(
            'kafka-unavailable',
            `Kafka did not acknowledge ${records.length} record(s) within ${options.timeoutMs} ms`,
            { retryable: true },
          ),
        options.signal,
      );
    } catch (error) {
      if (this.producer === current) {
        this.producer = null;
        void current.then((p) => p.disconnect()).catch(() => undefined);
      }
      if (isJournalwireError(error)) throw error;
      throw new JournalwireError(
        'kafka-unavailable',
        `Kafka is unavailable: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: true },
      );
    }
  }

  async close(): Promise<void> {
    const current = this.producer;
    this.producer = null;
    if (!current) return;
    try {
      await (await current).disconnect();
    } catch (error) {
      this.logger.debug({ err: error }, 'producer disconnect failed');
    }
  }
}

export interface StatusUpdate {
  connectorId: string;
  state: ServiceState;
  sessionStartedAt: Date | null;
  sessionEndedAt: Date | null;
  mailboxQueue: number | null;
  sessionExtracted: number;
  skipped: ConnectorStatusRecord['skipped'];
  lastError: { code: string; message: string; at: Date } | null;
  /** True when this update records a successful session (it becomes lastSuccessfulExtractAt). */
  success: boolean;
}

export function lastSuccessKey(connectorId: string): string {
  return `jw:poller:last-success:${connectorId}`;
}

/**
 * Publishes the connector's state to journal.status.v1 (compacted, keyed by connector id).
 * Best effort: a failed publish (Kafka down) is logged and the poller carries on.
 */
export class StatusReporter {
  constructor(
    private readonly producer: ProducerSlot,
    private readonly redis: Redis,
    private readonly ledger: LedgerPort,
    private readonly logger: Logger,
    private readonly publishTimeoutMs = 15_000,
  ) {}

  async report(update: StatusUpdate, timeoutMs = this.publishTimeoutMs): Promise<ConnectorStatusRecord | null> {
    try {
      const lastSuccessfulExtractAt = await this.lastSuccess(
        update.connectorId,
        update.success ? update.sessionEndedAt : null,
      );
      const record: ConnectorStatusRecord = {
        schema: 'journal.status.v1',
        connectorId: update.connectorId,
        state: update.state,
        sessionStartedAt: update.sessionStartedAt?.toISOString() ?? null,
        sessionEndedAt: update.sessionEndedAt?.toISOString() ?? null,
        lastSuccessfulExtractAt: lastSuccessfulExtractAt?.toISOString() ?? null,
        mailboxQueue: update.mailboxQueue,
        extractedTotal: await this.ledger.countPublished(update.connectorId),
        sessionExtracted: update.sessionExtracted,
        skipped: update.skipped,
        lastError: update.lastError
          ? { code: update.lastError.code, message: update.lastError.message, at: update.lastError.at.toISOString() }
          : null,
        updatedAt: new Date().toISOString(),
      };
      const value = encodeRecord(connectorStatusRecordSchema, record);
      await this.producer.send([{ topic: TOPICS.status, key: update.connectorId, value }], { timeoutMs });
      this.logger.info(
        {
          connectorId: update.connectorId,
          state: record.state,
          code: record.lastError?.code,
          mailboxQueue: record.mailboxQueue,
          sessionExtracted: record.sessionExtracted,
          extractedTotal: record.extractedTotal,
          skipped: record.skipped.length,
        },
        'status published',
      );
      return record;
    } catch (error) {
      this.logger.warn(
        { connectorId: update.connectorId, state: update.state, err: error },
        'could not publish the connector status; carrying on',
      );
      return null;
    }
  }

  /** The previous lastSuccessfulExtractAt (Redis, else the ledger), or `now` when this session succeeded. */
  private async lastSuccess(connectorId: string, now: Date | null): Promise<Date | null> {
    if (now) {
      await this.redis.set(lastSuccessKey(connectorId), now.toISOString());
      return now;
    }
    const stored = await this.redis.get(lastSuccessKey(connectorId));
    if (stored) return new Date(stored);
    return this.ledger.lastPublishedAt(connectorId);
  }
}
