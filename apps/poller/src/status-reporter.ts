import type { Redis } from 'ioredis';
import {
  connectorStatusRecordSchema,
  encodeRecord,
  TOPICS,
  type ConnectorStatusRecord,
  type ServiceState,
} from '#contracts';
import type { Logger } from '#logger';
import type { LedgerPort } from './ledger.js';
import type { ProducerSlot } from './producer-slot.js';

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
