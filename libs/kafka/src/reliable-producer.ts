import type { Producer } from '@platformatic/kafka';
import { JournalwireError } from '#errors';
import { fetchedMessageOf } from './group-consumer.js';
import { kafkaErrorTypes } from './kafka-errors.js';
import type { IncomingRecord, OutgoingRecord } from './records.js';

/** One open transaction of a transactional producer. */
export interface ProducerTransaction {
  /**
   * Sends records in the transaction, in requests of at most `maxRequestBytes`. Resolves with the
   * first offset written to each topic-partition of each request.
   */
  send(records: OutgoingRecord[], maxRequestBytes?: number): Promise<WrittenBatch[]>;
  /**
   * Adds the position after `record` (fetched by a GroupConsumer) to the transaction: committed with
   * it, or not at all. The commit carries the group generation and member the record was fetched
   * under, so the coordinator refuses it once the group has moved on (KIP-447).
   */
  sendOffsets(record: IncomingRecord): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Where one produce request wrote to one topic-partition: the offset of its first record there. */
export interface WrittenBatch {
  topic: string;
  partition: number;
  offset: string;
}

/** Not exported by name from the client. */
type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

/**
 * The coordinator answers CONCURRENT_TRANSACTIONS while the markers of this producer's previous
 * transaction are still being written; like the Java client, we retry it in place, briefly.
 */
const CONCURRENT_TRANSACTIONS_RETRY = { tries: 40, firstPauseMs: 10, maxPauseMs: 500 };

async function retryingConcurrentTransactions(operation: () => Promise<void>): Promise<void> {
  const { tries, firstPauseMs, maxPauseMs } = CONCURRENT_TRANSACTIONS_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= tries || !kafkaErrorTypes(error).includes('CONCURRENT_TRANSACTIONS')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(maxPauseMs, firstPauseMs * 2 ** (attempt - 1))));
    }
  }
}

/** A connected producer whose send resolves only once every record is acknowledged (acks=all). */
export class ReliableProducer {
  /** A transaction that failed to end: its producer must not begin another one. */
  private broken = false;
  /** The end of the last `sendOneWith`: the next one begins after it. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(private readonly producer: Producer) {}

  /** Begins a transaction (a producer created with a transactional id). */
  async transaction(): Promise<ProducerTransaction> {
    if (this.broken)
      throw new JournalwireError('kafka-unavailable', 'a transaction of this producer did not end; create a new one', {
        retryable: true,
      });
    // A transaction left open here (its begin failed) is forgotten locally; the coordinator never saw it.
    const leftover = this.producer.transaction;
    if (leftover && !leftover.completed) await leftover.cancel();
    const transaction: Transaction = await this.producer.beginTransaction();
    // Nothing sent yet: ending it is local (Kafka refuses to end a transaction it never saw).
    let touched = false;
    const end = async (commit: boolean) => {
      if (!touched) return void (await transaction.cancel());
      try {
        await retryingConcurrentTransactions(() => (commit ? transaction.commit() : transaction.abort()));
      } catch (error) {
        if (!transaction.completed) {
          this.broken = true;
          await transaction.cancel().catch(() => undefined);
        }
        throw error;
      }
    };
    return {
      send: async (records, maxRequestBytes) => {
        const written: WrittenBatch[] = [];
        for (const request of toProduceRequests(records, maxRequestBytes)) {
          touched = true;
          const { offsets } = await transaction.send({ messages: toClientMessages(request), acks: -1 });
          for (const { topic, partition, offset } of offsets ?? [])
            written.push({ topic, partition, offset: offset.toString() });
        }
        return written;
      },
      sendOffsets: async (record) => {
        const source = fetchedMessageOf(record);
        if (!source)
          throw new Error(
            `record ${record.topic}/${record.partition}/${record.offset} was not fetched by a GroupConsumer`,
          );
        touched = true;
        await retryingConcurrentTransactions(() => transaction.addConsumer(source.consumer));
        await retryingConcurrentTransactions(() => transaction.addOffset(source.message));
      },
      commit: () => end(true),
      abort: () => end(false),
    };
  }

  /** Resolves only once every record is acknowledged by all in-sync replicas. */
  async send(records: OutgoingRecord[]): Promise<void> {
    try {
      for (const request of toProduceRequests(records))
        await this.producer.send({ messages: toClientMessages(request) });
    } catch (error) {
      throw new JournalwireError(
        'kafka-unavailable',
        `Kafka did not acknowledge ${records.length} record(s): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: true },
      );
    }
  }

  /**
   * Sends `record` and `companions` in one transaction (a producer created with a transactional id)
   * and resolves with where `record` was written: a read-committed consumer sees all of them or
   * none. One transaction at a time: concurrent calls wait for each other. `companions` must not
   * write to `record`'s topic.
   */
  sendOneWith(record: OutgoingRecord, companions: OutgoingRecord[]): Promise<{ partition: number; offset: string }> {
    const run = this.serial.then(() => this.sendOneWithNow(record, companions));
    this.serial = run.catch(() => undefined);
    return run;
  }

  private async sendOneWithNow(
    record: OutgoingRecord,
    companions: OutgoingRecord[],
  ): Promise<{ partition: number; offset: string }> {
    if (companions.some((companion) => companion.topic === record.topic))
      throw new Error(`sendOneWith: a companion record writes to ${record.topic}, the record's own topic`);
    try {
      const transaction = await this.transaction();
      let written: WrittenBatch | undefined;
      try {
        written = (await transaction.send([record, ...companions])).find((batch) => batch.topic === record.topic);
        if (!written) throw new Error('the broker did not report an offset');
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
      await transaction.commit();
      return { partition: written.partition, offset: written.offset };
    } catch (error) {
      if (error instanceof JournalwireError) throw error;
      throw new JournalwireError(
        'kafka-unavailable',
        `Kafka did not commit the record: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: true },
      );
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.close(true);
  }
}

/** A produce request as the client's messages. Header names are Buffers: a string name fails in encoding. */
function toClientMessages(request: ProduceRequest) {
  return request.topicMessages.flatMap(({ topic, messages }) =>
    messages.map((m) => ({
      topic,
      key: Buffer.from(m.key),
      value: m.value,
      headers: new Map(
        Object.entries(m.headers ?? {}).map(([name, value]) => [Buffer.from(name), Buffer.from(value)] as const),
      ),
    })),
  );
}

/** Bytes per produce request: below the brokers' default message.max.bytes (1 MiB) per batch. */
const MAX_REQUEST_BYTES = 900 * 1024;

/**
 * Groups records into produce requests small enough that no partition's record batch exceeds
 * the broker's size limit (one send is one batch per partition and is never split).
 */
export interface ProduceRequest {
  acks: -1;
  topicMessages: Array<{
    topic: string;
    messages: Array<{ key: string; value: Buffer; headers?: Record<string, string> }>;
  }>;
}

export function toProduceRequests(records: OutgoingRecord[], maxBytes = MAX_REQUEST_BYTES): ProduceRequest[] {
  const requests: ProduceRequest[] = [];
  let current: OutgoingRecord[] = [];
  let size = 0;
  const flush = () => {
    if (current.length === 0) return;
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const record of current) {
      const list = byTopic.get(record.topic);
      if (list) list.push(record);
      else byTopic.set(record.topic, [record]);
    }
    requests.push({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {} })),
      })),
    });
    current = [];
    size = 0;
  };
  for (const record of records) {
    // Headers count: the v2 records carry their metadata (`jw-meta`) there.
    let bytes = record.value.length + Buffer.byteLength(record.key) + 64;
    for (const [name, value] of Object.entries(record.headers ?? {}))
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    if (size + bytes > maxBytes) flush();
    current.push(record);
    size += bytes;
  }
  flush();
  return requests;
}
