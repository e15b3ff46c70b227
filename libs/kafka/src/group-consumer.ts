import {
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type Consumer,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { withDeadline } from '#errors';
import type { Logger } from '#logger';
import type { IncomingRecord, RecordHeaders } from './records.js';

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
  /** Marks every record up to `offset` as handled (committed to the group when auto-committing). */
  resolve(offset: string): void;
  /** Kept for handlers written for explicit heartbeats: the client heartbeats in the background. */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the group rebalanced away from this batch: drop the rest. */
  live(): boolean;
}

export type GroupConsumerOptions = GroupConsumerSettings & GroupConsumerHandler;

export interface GroupConsumerSettings {
  groupId: string;
  topics: string[];
  /** Only records of committed transactions (default true). */
  readCommitted?: boolean;
  /** Where a partition with no committed offset starts: the beginning (default) or the end. */
  fromBeginning?: boolean;
  /**
   * Commit resolved offsets to the group (default false: the caller owns positions): every
   * partition's latest in one request, at most once a second, and once more on stop.
   */
  autoCommit?: boolean;
  /**
   * Default true: a batch whose `eachBatch` returns counts as handled up to its last record. False:
   * only what `resolve` marked; after a rejoin the group's committed offset is where reading resumes.
   */
  autoResolve?: boolean;
  /** Partitions handled at the same time with `eachBatch` (default 1). */
  concurrentPartitions?: number;
  /** How long a fetch waits for data on the broker (default 100 ms). */
  fetchMaxWaitMs?: number;
  /** Bytes a fetch waits for (up to `fetchMaxWaitMs`): larger batches under load (default 1). */
  fetchMinBytes?: number;
  /**
   * Called synchronously on every group join with the partitions assigned to this member, before
   * the first fetch of the generation: seeks made here apply to it.
   */
  onAssigned?: (assignment: TopicPartition[], seek: (position: PartitionOffset) => void) => void;
  /**
   * Called once the records fetched so far from a partition were handled, with the offset after the
   * last one fetched, also when read-committed filtering left nothing (transaction markers, aborted
   * records) for `eachBatch`: how a reader knows it reached an offset.
   */
  onBatchEnd?: (position: PartitionOffset) => void;
  /** Called when the consumer stopped on an error it will not recover from by itself. */
  onCrash?: (error: Error) => void;
}

/** How batches reach the handler: one partition at a time, or every partition with records at once. */
export type GroupConsumerHandler =
  | {
      /** Handles one partition's batch; resolve what is done. */
      eachBatch: (batch: PartitionBatch) => Promise<void>;
      eachRound?: never;
    }
  | {
      /**
       * Handles the batches of every partition that has records, together (one transaction for all
       * of them costs the broker far less than one per partition); resolve what is done in each.
       */
      eachRound: (batches: PartitionBatch[]) => Promise<void>;
      eachBatch?: never;
    };

type FetchedMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * Records (or their bytes) queued beyond these pause the fetching: memory stays bounded whatever the
 * handler's pace. The byte bound is what keeps a service's footprint small with large messages.
 */
const MAX_QUEUED_RECORDS = 1000;
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/**
 * Auto-commit waits this long to gather every partition's progress into one request (a commit per
 * batch was an OffsetCommit every few dozen records; Kafka's own clients default to 5 s).
 */
const AUTO_COMMIT_INTERVAL_MS = 1000;
/** How long stopping waits for the last auto-commit (the broker may be the reason it stops). */
const FINAL_COMMIT_WAIT_MS = 5000;
/** Records of one partition handed to the handler at once. */
const MAX_BATCH_RECORDS = 1000;

/** The fetched message behind each record this layer handed out: a transactional offset commit needs its group metadata. */
const fetched = new WeakMap<IncomingRecord, { message: FetchedMessage; consumer: Consumer }>();

/** The client's message and consumer a record came from, for `ProducerTransaction.sendOffsets`. */
export function fetchedMessageOf(record: IncomingRecord): { message: FetchedMessage; consumer: Consumer } | undefined {
  return fetched.get(record);
}

/** Records taken from a partition's queue for the handler, and what becomes of them. */
interface TakenBatch {
  queue: PartitionQueue;
  records: IncomingRecord[];
  /** Where the partition's reading was when they were taken, if they are all it had. */
  upTo: bigint | undefined;
  resolvedOffset?: string;
}

interface PartitionQueue extends TopicPartition {
  records: IncomingRecord[];
  /** Offset after the last record fetched (what the stream will fetch next). */
  fetchedUpTo?: bigint;
  reportedUpTo?: bigint;
}

/**
 * A group member reading per-partition batches, with positions under the caller's control: nothing
 * of the Kafka client's own types reaches the caller. The client streams single messages and
 * heartbeats in the background; this builds the batches and pauses the stream while the handler is
 * behind. Built by `KafkaGateway.createGroupConsumer`.
 */
export class GroupConsumer {
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly busy = new Set<string>();
  private assigned = new Set<string>();
  private pendingSeeks: PartitionOffset[] = [];
  private generation = 0;
  private running = false;
  private crashed = false;
  private drainScheduled = false;
  private queuedBytes = 0;
  /** Auto-commit: the last resolved message of each partition, not yet committed. */
  private readonly uncommitted = new Map<string, FetchedMessage>();
  private commitTimer: NodeJS.Timeout | undefined;
  /** The OffsetCommit in flight: the next waits for it (the client folds concurrent commits into one). */
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly consumer: Consumer,
    private readonly options: GroupConsumerOptions,
    private readonly logger: Logger,
  ) {
    consumer.on('consumer:group:join', ({ assignments }) => this.joined(assignments ?? []));
    consumer.on('consumer:heartbeat:stalled', ({ stalledFor, lastError }) =>
      this.crash(
        new Error(
          `no heartbeat reached the group coordinator for ${stalledFor} ms${lastError ? `: ${lastError.message}` : ''}`,
        ),
      ),
    );
  }

  /** Times this member joined its group (one per rebalance it took part in). */
  get joins(): number {
    return this.generation;
  }

  /** Joins the group and starts handing batches to `eachBatch`; resolves once running. */
  async start(): Promise<void> {
    this.running = true;
    const stream = await this.consumer.consume({
      topics: this.options.topics,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode:
        (this.options.fromBeginning ?? true)
          ? MessagesStreamFallbackModes.EARLIEST
          : MessagesStreamFallbackModes.LATEST,
      isolationLevel:
        (this.options.readCommitted ?? true)
          ? FetchIsolationLevels.READ_COMMITTED
          : FetchIsolationLevels.READ_UNCOMMITTED,
      autocommit: false,
      maxWaitTime: this.options.fetchMaxWaitMs ?? 100,
      minBytes: this.options.fetchMinBytes ?? 1,
    });
    this.stream = stream;
    // After a join the stream reloads the committed offsets; the caller's seeks apply on top.
    stream.on('offsets', () => this.applySeeks());
    stream.on('data', (message: FetchedMessage) => this.received(message));
    stream.on('fetch', () => this.scheduleDrain());
    stream.on('error', (error: Error) => this.crash(error));
    stream.on('close', () => {
      if (this.running && this.stream === stream) this.crash(new Error('the Kafka message stream closed'));
    });
  }

  /** Leaves the group. */
  async stop(): Promise<void> {
    this.running = false;
    await withDeadline(
      this.commitResolved(),
      FINAL_COMMIT_WAIT_MS,
      () => new Error('the last offset commit timed out'),
    ).catch((error: unknown) =>
      this.logger.debug({ err: error, groupId: this.options.groupId }, 'last offset commit not sent'),
    );
    this.generation++;
    const stream = this.stream;
    this.stream = undefined;
    await stream?.close().catch(() => undefined);
    await this.consumer.close(true).catch((error: unknown) => {
      this.logger.debug({ err: error, groupId: this.options.groupId }, 'kafka consumer close failed');
    });
  }

  private joined(assignments: Array<{ topic: string; partitions: number[] }>): void {
    this.generation++;
    // Positions of the old generation: the partitions may be another member's now.
    this.uncommitted.clear();
    this.queues.clear();
    this.queuedBytes = 0;
    const assignment = assignments.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    this.assigned = new Set(assignment.map(({ topic, partition }) => `${topic}:${partition}`));
    // Reading resumes from the committed offsets (the stream reloads them), not from where this
    // member had fetched: records it dropped with the old generation are fetched again.
    const positions = this.stream?.offsetsToFetch;
    if (positions) for (const key of [...positions.keys()]) positions.delete(key);
    this.pendingSeeks = [];
    this.options.onAssigned?.(assignment, (position) => this.pendingSeeks.push(position));
    this.stream?.resume();
  }

  private applySeeks(): void {
    const positions = this.stream?.offsetsToFetch;
    if (!positions) return;
    for (const { topic, partition, offset } of this.pendingSeeks)
      positions.set(`${topic}:${partition}`, BigInt(offset));
    this.pendingSeeks = [];
  }

  private received(message: FetchedMessage): void {
    const key = `${message.topic}:${message.partition}`;
    if (!this.assigned.has(key)) return;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { topic: message.topic, partition: message.partition, records: [] };
      this.queues.set(key, queue);
    }
    const record = incomingRecordOf(message);
    fetched.set(record, { message, consumer: this.consumer });
    queue.records.push(record);
    this.queuedBytes += recordBytes(record);
    if (this.queuedRecords() >= MAX_QUEUED_RECORDS || this.queuedBytes >= MAX_QUEUED_BYTES) this.stream?.pause();
    this.scheduleDrain();
  }

  private queuedRecords(): number {
    let total = 0;
    for (const queue of this.queues.values()) total += queue.records.length;
    return total;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    // Every message of a fetch response is pushed in one turn: batches form from what arrived by the next.
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    if (!this.running || this.crashed) return;
    const stream = this.stream;
    // A position counts as reached only once nothing fetched before it is still in the stream's buffer.
    if (stream && stream.readableLength === 0) {
      for (const [key, offset] of stream.offsetsToFetch) {
        if (!this.assigned.has(key)) continue;
        let queue = this.queues.get(key);
        if (!queue) {
          const separator = key.lastIndexOf(':');
          queue = { topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)), records: [] };
          this.queues.set(key, queue);
        }
        queue.fetchedUpTo = offset;
      }
    }
    if (this.options.eachRound) {
      this.drainRound(this.options.eachRound);
      return;
    }
    const concurrency = this.options.concurrentPartitions ?? 1;
    for (const [key, queue] of this.queues) {
      if (this.busy.size >= concurrency) break;
      if (this.busy.has(key)) continue;
      if (!this.hasWork(queue)) continue;
      this.busy.add(key);
      void this.handle([queue], async ([batch]) => this.options.eachBatch!(batch!)).finally(() => this.handled([key]));
    }
  }

  /** Every partition with work, in one round, once the previous round is over. */
  private drainRound(eachRound: (batches: PartitionBatch[]) => Promise<void>): void {
    if (this.busy.size > 0) return;
    const ready = [...this.queues].filter(([, queue]) => this.hasWork(queue));
    if (ready.length === 0) return;
    const keys = ready.map(([key]) => key);
    for (const key of keys) this.busy.add(key);
    void this.handle(
      ready.map(([, queue]) => queue),
      eachRound,
    ).finally(() => this.handled(keys));
  }

  private hasWork(queue: PartitionQueue): boolean {
    const reached = queue.fetchedUpTo !== undefined && queue.fetchedUpTo !== queue.reportedUpTo;
    return queue.records.length > 0 || reached;
  }

  private handled(keys: string[]): void {
    for (const key of keys) this.busy.delete(key);
    const stream = this.stream;
    if (
      stream &&
      stream.isPaused() &&
      this.queuedRecords() < MAX_QUEUED_RECORDS / 2 &&
      this.queuedBytes < MAX_QUEUED_BYTES / 2
    )
      stream.resume();
    this.scheduleDrain();
  }

  /** Hands the queues' records to the handler, then settles each partition: resolved, refetched, reported. */
  private async handle(queues: PartitionQueue[], handler: (batches: PartitionBatch[]) => Promise<void>): Promise<void> {
    const generation = this.generation;
    const live = () => this.running && !this.crashed && this.generation === generation;
    const taken = queues.map((queue) => this.take(queue));
    const withRecords = taken.filter((batch) => batch.records.length > 0);
    if (withRecords.length > 0) {
      try {
        await handler(
          withRecords.map((batch) => ({
            topic: batch.queue.topic,
            partition: batch.queue.partition,
            records: batch.records,
            resolve: (offset) => {
              batch.resolvedOffset = offset;
            },
            heartbeat: () => Promise.resolve(),
            live,
          })),
        );
      } catch (error) {
        if (!live()) return;
        // As kafkajs did: a failing handler stops this member; the caller restarts it (onCrash).
        this.crash(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    if (!live()) return;
    for (const batch of taken) this.settle(batch);
  }

  private take(queue: PartitionQueue): TakenBatch {
    const records = queue.records.splice(0, MAX_BATCH_RECORDS);
    for (const record of records) this.queuedBytes -= recordBytes(record);
    return { queue, records, upTo: queue.records.length === 0 ? queue.fetchedUpTo : undefined };
  }

  private settle(batch: TakenBatch): void {
    const { queue, records } = batch;
    if (records.length > 0) {
      const last = records[records.length - 1]!.offset;
      const resolvedOffset = (this.options.autoResolve ?? true) ? last : batch.resolvedOffset;
      if (resolvedOffset !== undefined && this.options.autoCommit) this.noteResolved(records, resolvedOffset);
      if (resolvedOffset !== last) {
        // Not all handled: the rest is fetched again from the group's committed offset.
        this.refetch(queue, records, resolvedOffset);
        return;
      }
    }
    if (batch.upTo !== undefined && batch.upTo !== queue.reportedUpTo) {
      queue.reportedUpTo = batch.upTo;
      this.options.onBatchEnd?.({ topic: queue.topic, partition: queue.partition, offset: batch.upTo.toString() });
    }
  }

  /** Puts the records after `resolvedOffset` back at the head of the queue. */
  private refetch(queue: PartitionQueue, records: IncomingRecord[], resolvedOffset: string | undefined): void {
    const after = resolvedOffset === undefined ? -1n : BigInt(resolvedOffset);
    const rest = records.filter((record) => BigInt(record.offset) > after);
    queue.records.unshift(...rest);
    for (const record of rest) this.queuedBytes += recordBytes(record);
  }

  private noteResolved(records: IncomingRecord[], resolvedOffset: string): void {
    const record = records.find((r) => r.offset === resolvedOffset);
    const message = record ? fetched.get(record)?.message : undefined;
    if (!message) return;
    this.uncommitted.set(`${message.topic}:${message.partition}`, message);
    this.commitTimer ??= setTimeout(() => {
      this.commitTimer = undefined;
      void this.commitResolved();
    }, AUTO_COMMIT_INTERVAL_MS).unref();
  }

  /** One OffsetCommit with every partition's last resolved position. */
  private commitResolved(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    this.committing = this.committing.then(async () => {
      if (this.uncommitted.size === 0) return;
      const offsets = [...this.uncommitted.values()].map((message) => ({
        topic: message.topic,
        partition: message.partition,
        offset: message.offset + 1n,
        leaderEpoch: message.leaderEpoch,
      }));
      this.uncommitted.clear();
      await this.consumer.commit({ offsets }).catch((error: unknown) => {
        // A rebalance refuses it; the next member resumes from the previous commit and repeats a little.
        this.logger.debug({ err: error, groupId: this.options.groupId }, 'offset commit refused');
      });
    });
    return this.committing;
  }

  private crash(error: Error): void {
    if (!this.running || this.crashed) return;
    this.crashed = true;
    this.generation++;
    this.options.onCrash?.(error);
  }
}

/** A fetched message as the gateway's IncomingRecord. */
function recordBytes(record: IncomingRecord): number {
  return (record.value?.length ?? 0) + (record.key?.length ?? 0);
}

export function incomingRecordOf(message: FetchedMessage): IncomingRecord {
  const headers: RecordHeaders = {};
  for (const [name, value] of message.headerEntries) {
    const key = name.toString('utf8');
    const previous = headers[key];
    if (previous === undefined) headers[key] = value;
    else headers[key] = [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: message.key ?? null,
    value: message.value ?? null,
    headers,
    timestamp: message.timestamp.toString(),
  };
}
