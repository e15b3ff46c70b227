import { isJournalwireError, JournalwireError } from '#errors';
import type { KafkaGateway, OutgoingRecord, ReliableProducer } from '#kafka';
import type { Logger } from '#logger';
import { withDeadline } from './deadline.js';

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
