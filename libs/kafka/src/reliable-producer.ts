import type { Consumer, Producer } from '@platformatic/kafka';
import { JournalwireError } from '#errors';
import { fetchedMessageOf } from './group-consumer.js';
import { partitionForKeyBytes } from './partitioner.js';
import { kafkaErrorTypes } from './kafka-errors.js';
import type { IncomingRecord, OutgoingRecord } from './records.js';

/** One open transaction of a transactional producer. */
export interface ProducerTransaction {
  /**
   * Sends records in the transaction, in requests whose batch for each partition holds at most
   * `maxPartitionBytes`. Resolves with the first offset written to each topic-partition of each request.
   */
  send(records: OutgoingRecord[], maxPartitionBytes?: number): Promise<WrittenBatch[]>;
  /**
   * Adds the position after each of `records` (fetched by a GroupConsumer, one per partition) to the
   * transaction: committed with it, or not at all. Each commit carries the group generation and
   * member the record was fetched under, so the coordinator refuses it once the group has moved on
   * (KIP-447).
   */
  sendOffsets(records: IncomingRecord[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Where one produce request wrote to one topic-partition: the offset of its first record there. */
export interface WrittenBatch {
  topic: string;
  partition: number;
  offset: string;
}

type FetchedMessage = NonNullable<ReturnType<typeof fetchedMessageOf>>['message'];

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

/**
 * `message` with its offset commit sent to the group coordinator the consumer knows now. The client
 * sends TxnOffsetCommit to the coordinator recorded when the message was fetched: none, for a fetch
 * answered while the consumer was finding its coordinator again after a broker restart (every
 * commit of that record then failed with "broker not available in the current cluster metadata",
 * and the partition stopped), or the old one after the coordinator moved. The member id and
 * generation stay those of the fetch: they are what fences an instance the group has left behind.
 */
function routedTo(message: FetchedMessage, coordinatorId: number): FetchedMessage {
  const fetchedUnder = message.metadata.consumer as Record<string, unknown>;
  if (fetchedUnder.coordinatorId === coordinatorId) return message;
  return { ...message, metadata: { ...message.metadata, consumer: { ...fetchedUnder, coordinatorId } } };
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
      send: async (records, maxPartitionBytes) => {
        const written: WrittenBatch[] = [];
        for (const request of await this.produceRequests(records, maxPartitionBytes)) {
          touched = true;
          const { offsets } = await transaction.send({ messages: toClientMessages(request), acks: -1 });
          for (const { topic, partition, offset } of offsets ?? [])
            written.push({ topic, partition, offset: offset.toString() });
        }
        return written;
      },
      sendOffsets: async (records) => {
        const sources = records.map((record) => {
          const source = fetchedMessageOf(record);
          if (!source)
            throw new Error(
              `record ${record.topic}/${record.partition}/${record.offset} was not fetched by a GroupConsumer`,
            );
          return source;
        });
        if (sources.length === 0) return;
        touched = true;
        // One AddOffsetsToTxn per group, then one TxnOffsetCommit per partition, one after another:
        // the client merges concurrent offset commits of a producer into one (its deduplication key
        // is 'commit'), so all but one partition's offset would be lost, and reprocessed after a crash.
        const coordinators = new Map<Consumer, number>();
        for (const consumer of new Set(sources.map((source) => source.consumer))) {
          coordinators.set(consumer, await consumer.findGroupCoordinator());
          await retryingConcurrentTransactions(() => transaction.addConsumer(consumer));
        }
        for (const { message, consumer } of sources) {
          const routed = routedTo(message, coordinators.get(consumer)!);
          await retryingConcurrentTransactions(() => transaction.addOffset(routed));
        }
      },
      commit: () => end(true),
      abort: () => end(false),
    };
  }

  /** Resolves only once every record is acknowledged by all in-sync replicas. */
  async send(records: OutgoingRecord[]): Promise<void> {
    try {
      for (const request of await this.produceRequests(records))
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

  /**
   * The records as produce requests, each partition's batch and each request within bounds. The
   * partition counts come from the client's metadata cache, which its send uses too.
   */
  private async produceRequests(
    records: OutgoingRecord[],
    maxPartitionBytes = MAX_PARTITION_BATCH_BYTES,
  ): Promise<ProduceRequest[]> {
    const topics = [...new Set(records.map((record) => record.topic))];
    const metadata = await this.producer.metadata({ topics });
    const partitionCounts = new Map(topics.map((topic) => [topic, metadata.topics.get(topic)?.partitionsCount ?? 1]));
    return toProduceRequests(records, {
      maxPartitionBytes,
      maxRequestBytes: Math.max(MAX_REQUEST_BYTES, maxPartitionBytes),
      partitionOf: (topic, key) => partitionForKeyBytes(key, partitionCounts.get(topic) ?? 1),
    });
  }

  async disconnect(): Promise<void> {
    await this.producer.close(true);
  }
}

/**
 * A produce request as the client's messages, each with the partition it was sized for (the client
 * then skips its own partitioner). Header names are Buffers: a string name fails in encoding.
 */
function toClientMessages(request: ProduceRequest) {
  return request.topicMessages.flatMap(({ topic, messages }) =>
    messages.map((m) => ({
      topic,
      partition: m.partition,
      key: m.key,
      value: m.value,
      headers: new Map(
        Object.entries(m.headers ?? {}).map(([name, value]) => [Buffer.from(name), Buffer.from(value)] as const),
      ),
    })),
  );
}

/**
 * Bytes of one partition's record batch in a produce request: below the brokers' default
 * `message.max.bytes` (1 MiB), which a topic created without our settings keeps.
 */
export const MAX_PARTITION_BATCH_BYTES = 900 * 1024;

/**
 * Bytes of one whole produce request. A request carries one batch per partition, so several
 * partitions' batches share it: one round trip (and one AddPartitionsToTxn) instead of one per
 * 900 KiB. 4 MiB keeps the client's encoding copies small.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** How records are grouped into produce requests: per partition batch, per request, and where each record goes. */
export interface ProduceLimits {
  maxPartitionBytes: number;
  maxRequestBytes: number;
  /** The partition the client will give a record with this key (the same partitioner and partition count). */
  partitionOf: (topic: string, key: Buffer) => number;
}

export interface ProduceRequest {
  acks: -1;
  topicMessages: Array<{
    topic: string;
    /** The key as bytes: encoded once, for the partition and for the client. */
    messages: Array<{ key: Buffer; value: Buffer; headers?: Record<string, string>; partition: number }>;
  }>;
}

/**
 * Groups records, in order, into produce requests in which no partition's record batch exceeds
 * `maxPartitionBytes` (the broker refuses a larger batch; one send is one batch per partition and
 * is never split) and no request exceeds `maxRequestBytes`. A record larger than a bound goes alone.
 */
export function toProduceRequests(records: OutgoingRecord[], limits: ProduceLimits): ProduceRequest[] {
  const requests: ProduceRequest[] = [];
  let current: Array<{ record: OutgoingRecord; key: Buffer; partition: number }> = [];
  let size = 0;
  const partitionSizes = new Map<string, number>();
  const flush = () => {
    if (current.length === 0) return;
    const byTopic = new Map<string, ProduceRequest['topicMessages'][number]['messages']>();
    for (const { record, key, partition } of current) {
      const message = { key, value: record.value, headers: record.headers ?? {}, partition };
      const list = byTopic.get(record.topic);
      if (list) list.push(message);
      else byTopic.set(record.topic, [message]);
    }
    requests.push({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    current = [];
    size = 0;
    partitionSizes.clear();
  };
  for (const record of records) {
    const key = Buffer.from(record.key);
    const bytes = recordBytes(record, key);
    const partition = limits.partitionOf(record.topic, key);
    const batch = `${record.topic}\0${partition}`;
    if (size + bytes > limits.maxRequestBytes || (partitionSizes.get(batch) ?? 0) + bytes > limits.maxPartitionBytes)
      flush();
    current.push({ record, key, partition });
    size += bytes;
    partitionSizes.set(batch, (partitionSizes.get(batch) ?? 0) + bytes);
  }
  flush();
  return requests;
}

/** A record's size in a batch, near enough: headers count (the v2 records carry `jw-meta` there). */
function recordBytes(record: OutgoingRecord, key: Buffer): number {
  let bytes = record.value.length + key.length + 64;
  for (const [name, value] of Object.entries(record.headers ?? {}))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value);
  return bytes;
}
