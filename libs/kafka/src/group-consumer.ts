import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { IncomingRecord } from './records.js';
import { incomingRecord } from './topic-reader.js';

/** A partition of a topic. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Where a partition's reading starts or resumes. */
export interface PartitionOffset extends TopicPartition {
  offset: string;
}

/** The records of one partition fetched together, and what the handler may do about them. */
export interface PartitionBatch extends TopicPartition {
  records: IncomingRecord[];
  /** Marks every record up to `offset` as handled (committed with the next auto-commit, if any). */
  resolve(offset: string): void;
  /** Tells the group coordinator this member is alive (sent only once the heartbeat interval has passed). */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the group rebalanced away from this batch: drop the rest. */
  live(): boolean;
}

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  /** Only records of committed transactions (default true). */
  readCommitted?: boolean;
  /** Where a partition with no committed offset starts: the beginning (default) or the end. */
  fromBeginning?: boolean;
  /** Commit resolved offsets to the group periodically (default false: the caller owns positions). */
  autoCommit?: boolean;
  /**
   * Default true: a batch whose `eachBatch` returns counts as handled up to its last record. False:
   * only what `resolve` marked; the consumer fetches the rest again.
   */
  autoResolve?: boolean;
  /** Partitions handled at the same time (default 1). */
  concurrentPartitions?: number;
  /** How long a fetch waits for data on the broker; the gateway's default when omitted. */
  fetchMaxWaitMs?: number;
  /**
   * Called synchronously on every group join with the partitions assigned to this member, before
   * the first fetch of the generation: seeks made here apply to it.
   */
  onAssigned?: (assignment: TopicPartition[], seek: (position: PartitionOffset) => void) => void;
  /**
   * Called after each fetched batch with the offset after its last record, also for a batch that
   * read-committed filtering left empty (transaction markers, aborted records) and that
   * `eachBatch` therefore never saw: how a reader knows it reached an offset.
   */
  onBatchEnd?: (position: PartitionOffset) => void;
  /** Called when the consumer stopped on an error it will not recover from by itself. */
  onCrash?: (error: Error) => void;
  /** Handles one partition's batch; resolve what is done, heartbeat during long work. */
  eachBatch: (batch: PartitionBatch) => Promise<void>;
}

/**
 * A group member reading per-partition batches, with positions under the caller's control:
 * nothing of the Kafka client's own types reaches the caller. Built by `KafkaGateway.createGroupConsumer`.
 */
export class GroupConsumer {
  constructor(
    private readonly consumer: Consumer,
    private readonly options: GroupConsumerOptions,
  ) {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assignment = Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      options.onAssigned?.(assignment, (position) => consumer.seek(position));
    });
    const onBatchEnd = options.onBatchEnd;
    if (onBatchEnd)
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
        onBatchEnd({
          topic: payload.topic,
          partition: payload.partition,
          offset: (BigInt(payload.lastOffset) + 1n).toString(),
        }),
      );
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts by itself after a retriable crash; only a final one is the caller's to handle.
      if (!payload.restart) options.onCrash?.(payload.error);
    });
  }

  /** Joins the group and starts handing batches to `eachBatch`; resolves once running. */
  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: this.options.autoCommit ?? false,
      eachBatchAutoResolve: this.options.autoResolve ?? true,
      partitionsConsumedConcurrently: this.options.concurrentPartitions ?? 1,
      eachBatch: (payload) => this.options.eachBatch(partitionBatch(payload)),
    });
  }

  /** Leaves the group (committing resolved offsets first when auto-committing). */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

function partitionBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): PartitionBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    records: batch.messages.map((message) => incomingRecord(batch, message)),
    resolve: resolveOffset,
    heartbeat,
    live: () => isRunning() && !isStale(),
  };
}
