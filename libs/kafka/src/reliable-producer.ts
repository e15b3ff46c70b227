import { Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import { JournalwireError } from '#errors';
import { kafkaErrorTypes } from './kafka-errors.js';
import type { OutgoingRecord } from './records.js';

/** Where a group's consumption of a partition resumes: the offset after the last record handled. */
export interface GroupPosition {
  groupId: string;
  topic: string;
  partition: number;
  /** The last record handled; the group resumes after it. */
  lastOffset: string;
}

/** One open transaction of a transactional producer. */
export interface ProducerTransaction {
  /** Sends records in the transaction, in requests of at most `maxRequestBytes`. */
  send(records: OutgoingRecord[], maxRequestBytes?: number): Promise<void>;
  /** Adds a consumer group's position to the transaction: committed with it, or not at all. */
  sendOffsets(position: GroupPosition): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * The coordinator answers CONCURRENT_TRANSACTIONS while the markers of this producer's previous
 * transaction are still being written. kafkajs retries it when adding partitions but not when
 * adding offsets (a transaction whose chunk produced no outputs); like the Java client, we retry
 * it in place, briefly.
 */
const CONCURRENT_TRANSACTIONS_RETRY = { tries: 40, firstPauseMs: 10, maxPauseMs: 500 };

/** A connected producer whose send resolves only once every record is acknowledged (acks=all). */
export class ReliableProducer {
  constructor(private readonly producer: Producer) {}

  /** Begins a transaction (a producer created with a transactional id). */
  async transaction(): Promise<ProducerTransaction> {
    const transaction = await this.producer.transaction();
    return {
      async send(records, maxRequestBytes) {
        for (const request of toProduceRequests(records, maxRequestBytes)) await transaction.sendBatch(request);
      },
      async sendOffsets({ groupId, topic, partition, lastOffset }) {
        const offsets = {
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition, offset: (BigInt(lastOffset) + 1n).toString() }] }],
        };
        const { tries, firstPauseMs, maxPauseMs } = CONCURRENT_TRANSACTIONS_RETRY;
        for (let attempt = 1; ; attempt++) {
          try {
            return await transaction.sendOffsets(offsets);
          } catch (error) {
            if (attempt >= tries || !kafkaErrorTypes(error).includes('CONCURRENT_TRANSACTIONS')) throw error;
            await new Promise((resolve) =>
              setTimeout(resolve, Math.min(maxPauseMs, firstPauseMs * 2 ** (attempt - 1))),
            );
          }
        }
      },
      commit: () => transaction.commit(),
      abort: () => transaction.abort(),
    };
  }

  /** Resolves only once every record is acknowledged by all in-sync replicas. */
  async send(records: OutgoingRecord[]): Promise<void> {
    try {
      for (const request of toProduceRequests(records)) await this.producer.sendBatch(request);
    } catch (error) {
      throw new JournalwireError(
        'kafka-unavailable',
        `Kafka did not acknowledge ${records.length} record(s): ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
          retryable: true,
        },
      );
    }
  }

  /** Sends one record (acks=all) and resolves with where it was written. */
  async sendOne(record: OutgoingRecord): Promise<{ partition: number; offset: string }> {
    try {
      const [written] = await this.producer.send({
        topic: record.topic,
        acks: -1,
        messages: [{ key: record.key, value: record.value, headers: record.headers ?? {} }],
      });
      if (!written?.baseOffset) throw new Error('the broker did not report an offset');
      return { partition: written.partition, offset: written.baseOffset };
    } catch (error) {
      throw new JournalwireError(
        'kafka-unavailable',
        `Kafka did not acknowledge the record: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: true },
      );
    }
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}

/** Bytes per produce request: below the brokers' default message.max.bytes (1 MiB) per batch. */
const MAX_REQUEST_BYTES = 900 * 1024;

/**
 * Groups records into produce requests small enough that no partition's record batch exceeds
 * the broker's size limit (kafkajs sends one batch per partition per request and never splits).
 */
export interface ProduceRequest {
  acks: -1;
  topicMessages: Array<{
    topic: string;
    messages: Array<{ key: string; value: Buffer; headers: Record<string, string> }>;
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

/** The partition kafkajs's default (Java-compatible murmur2) partitioner gives a record with this key. */
export function partitionFor(topic: string, key: string, partitions: PartitionMetadata[]): number {
  const partitioner = Partitioners.DefaultPartitioner();
  const sorted = [...partitions].sort((a, b) => a.partitionId - b.partitionId);
  return partitioner({ topic, partitionMetadata: sorted, message: { key, value: null } });
}
