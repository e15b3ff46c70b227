import type { Consumer, Producer } from 'kafkajs';
import { isJournalwireError } from '#errors';
import type { Logger } from '#logger';
import { toProduceRequests, type IncomingRecord, type KafkaGateway, type OutgoingRecord } from './kafka-gateway.js';

/** What became of one record of a chunk: its outputs, or the error that makes it a dead letter. */
export type RecordResult = { outputs: OutgoingRecord[] } | { error: unknown };

/**
 * A chunk handler from a handler of single records, called one record at a time. A retryable
 * JournalwireError retries the chunk; any other error is that record's result.
 */
export function eachRecord(
  handle: (record: IncomingRecord) => Promise<OutgoingRecord[]>,
): (records: IncomingRecord[]) => Promise<RecordResult[]> {
  return async (records) => {
    const results: RecordResult[] = [];
    for (const record of records) {
      try {
        results.push({ outputs: await handle(record) });
      } catch (error) {
        if (isJournalwireError(error) && error.retryable) throw error;
        results.push({ error });
      }
    }
    return results;
  };
}

export interface ProcessorOptions {
  groupId: string;
  topics: string[];
  /** Stable per instance, so a restarted instance fences its crashed predecessor at once. */
  transactionalId: string;
  /**
   * Turns a chunk of records into one result per record, in order. Throwing a retryable
   * JournalwireError retries the whole chunk; a record whose result is an error goes to `onError`.
   * `eachRecord` adapts a handler of single records.
   */
  handleChunk: (records: IncomingRecord[]) => Promise<RecordResult[]>;
  /** Outputs for a record whose handler threw (a dead letter); never throws itself. */
  onError: (record: IncomingRecord, error: unknown) => OutgoingRecord[];
  /** Called after each committed transaction, for metrics and status. */
  onCommitted?: (records: IncomingRecord[], outputs: OutgoingRecord[]) => void;
  /** Records per transaction. */
  chunkSize?: number;
  fromBeginning?: boolean;
}

/**
 * Consume-transform-produce with exactly-once effect on Kafka: each chunk's outputs and its
 * input offsets are committed in one transaction, so a crash replays the chunk and the
 * aborted outputs are invisible to read-committed consumers. A handler error becomes a dead
 * letter and never stalls the partition (unlike Nest's transport, which retries forever).
 */
export class TransactionalProcessor {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: KafkaGateway,
    private readonly logger: Logger,
    private readonly options: ProcessorOptions,
  ) {}

  private stopping = false;

  /** Starts consuming in the background, retrying with backoff while Kafka is unreachable. */
  start(): void {
    void this.runUntilStopped();
  }

  private async runUntilStopped(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await this.connectAndRun();
        return;
      } catch (error) {
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
        this.logger.error(
          { err: error, retryInMs: delay },
          `processor ${this.options.groupId} could not start; retrying`,
        );
        await this.consumer?.disconnect().catch(() => undefined);
        await this.producer?.disconnect().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async connectAndRun(): Promise<void> {
    const { producer } = await this.kafka.createProducer({ transactionalId: this.options.transactionalId });
    this.producer = producer;
    const consumer = this.kafka.createConsumer(this.options.groupId, { readCommitted: true, batching: true });
    this.consumer = consumer;
    // kafkajs gives up on errors it deems non-retriable (e.g. no group coordinator while the broker
    // restarts) and leaves the consumer stopped: start over, so a broker outage only delays work.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping) return;
      this.logger.error({ err: payload.error }, `processor ${this.options.groupId} crashed; starting over`);
      void this.restart();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    const chunkSize = this.options.chunkSize ?? 100;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        // While one chunk's transaction commits, the next chunk is already being handled: the
        // broker round trips of a commit overlap with the handler's work.
        let committing: Promise<{ chunk: IncomingRecord[]; error?: unknown }> | undefined;
        const settle = async () => {
          const committed = await committing;
          committing = undefined;
          if (!committed) return;
          if (committed.error !== undefined) throw committed.error;
          // The transaction committed the offset; tell the consumer where to fetch next.
          resolveOffset(committed.chunk[committed.chunk.length - 1]!.offset);
          await heartbeat();
        };
        for (let i = 0; i < batch.messages.length; i += chunkSize) {
          if (!isRunning() || isStale()) break;
          const chunk: IncomingRecord[] = batch.messages.slice(i, i + chunkSize).map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: m.headers ?? {},
            timestamp: m.timestamp,
          }));
          let outputs: OutgoingRecord[];
          try {
            outputs = await this.outputsOf(chunk);
          } finally {
            await settle();
          }
          committing = this.commit(chunk, outputs).then(
            () => ({ chunk }),
            (error: unknown) => ({ chunk, error }),
          );
        }
        await settle();
      },
    });
  }

  /** Every output of a chunk: the handler's, and a dead letter for each record it failed on. */
  private async outputsOf(chunk: IncomingRecord[]): Promise<OutgoingRecord[]> {
    // A retryable failure (database or blob store away) throws and retries the whole chunk
    // later; a failure about one record makes that record a dead letter.
    const results = await this.options.handleChunk(chunk);
    if (results.length !== chunk.length)
      throw new Error(`chunk handler returned ${results.length} results for ${chunk.length} records`);
    const outputs: OutgoingRecord[] = [];
    chunk.forEach((record, i) => {
      const result = results[i]!;
      if ('outputs' in result) {
        outputs.push(...result.outputs);
        return;
      }
      this.logger.warn(
        { topic: record.topic, partition: record.partition, offset: record.offset, err: result.error },
        'record failed; dead-lettering it',
      );
      outputs.push(...this.options.onError(record, result.error));
    });
    return outputs;
  }

  /** The chunk's outputs and its input offset in one transaction. */
  private async commit(chunk: IncomingRecord[], outputs: OutgoingRecord[]): Promise<void> {
    const last = chunk[chunk.length - 1];
    if (!last || !this.producer) return;
    const transaction = await this.producer.transaction();
    try {
      for (const request of toProduceRequests(outputs)) await transaction.sendBatch(request);
      await transaction.sendOffsets({
        consumerGroupId: this.options.groupId,
        topics: [
          {
            topic: last.topic,
            partitions: [{ partition: last.partition, offset: (BigInt(last.offset) + 1n).toString() }],
          },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    this.options.onCommitted?.(chunk, outputs);
  }

  private async restart(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (!this.stopping) await this.runUntilStopped();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}
