import { Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import { JournalwireError } from '#errors';
import type { OutgoingRecord } from './records.js';

/** A connected producer whose send resolves only once every record is acknowledged (acks=all). */
export class ReliableProducer {
  constructor(readonly producer: Producer) {}

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
