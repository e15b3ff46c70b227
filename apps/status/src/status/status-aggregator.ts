import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { TOPICS } from '#contracts';
import {
  headersToStrings,
  type GroupConsumer,
  type IncomingRecord,
  type KafkaGateway,
  type PartitionBatch,
} from '#kafka';
import type { Logger } from '#logger';
import { CONFIG, DATA_SOURCE, KAFKA, LOGGER } from '#platform';
import type { StatusConfig } from '../config.js';
import { outcomeRowOf, type OutcomeRow } from '../outcomes/outcome-rows.js';
import { OutcomesService } from '../outcomes/outcomes.service.js';
import { CoalescedPublisher } from './coalesced-publisher.js';
import { opsForRecord, STATUS_SOURCE_TOPICS, type StatusOp } from './record-ops.js';
import { StatusStore } from './status-store.js';
import { StatusService } from './status.service.js';

const CHUNK = 500;
const RETRY_MS = 5_000;
/** Status changes of applied chunks reach watchers within this. */
const PUBLISH_INTERVAL_MS = 250;

/**
 * Aggregates journal.status.v1, journal.progress.v1, journal.rejected.v2 and journal.dlq.v2 into
 * Redis (never a topic whose values are message bodies, except the rare rejections and dead letters).
 *
 * Exactly-once counting without trusting the group's committed offsets: each chunk is applied
 * by one Lua script that also records the partition's applied offset, and on every group join
 * the consumer seeks each assigned partition to (applied offset + 1). An epoch marker in Redis
 * detects lost state (FLUSHALL, a fresh Redis): the aggregator then restarts its consumer from
 * the start of every topic and rebuilds the counters.
 */
@Injectable()
export class StatusAggregator implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: GroupConsumer | undefined;
  private epoch: string | null = null;
  /** Next offset to read per `<topic>:<partition>`, never ahead of what Redis holds. */
  private next = new Map<string, string>();
  private joined = false;
  private stopping = false;
  private restarting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly changes: CoalescedPublisher;

  constructor(
    @Inject(CONFIG) private readonly config: StatusConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(KAFKA) private readonly kafka: KafkaGateway,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly store: StatusStore,
    private readonly status: StatusService,
    private readonly outcomes: OutcomesService,
  ) {
    this.changes = new CoalescedPublisher((ids) => this.status.publishQuietly(ids), PUBLISH_INTERVAL_MS);
  }

  /** True once the consumer has joined its group with its positions restored. */
  get ready(): boolean {
    return this.joined;
  }

  onApplicationBootstrap(): void {
    void this.restart('start-up');
    this.timer = setInterval(() => void this.checkState(), this.config.STATUS_STATE_CHECK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.restarting?.catch(() => undefined);
    await this.consumer?.stop().catch(() => undefined);
    this.consumer = undefined;
    await this.changes.flush();
    this.logger.info('status aggregator stopped');
  }

  private restart(reason: string): Promise<void> {
    if (this.stopping) return Promise.resolve();
    this.restarting ??= this.doRestart(reason).finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  private async doRestart(reason: string): Promise<void> {
    while (!this.stopping) {
      try {
        this.joined = false;
        const previous = this.consumer;
        this.consumer = undefined;
        await previous?.stop();
        await this.discardIfTopicsRecreated();
        const { epoch, created } = await this.store.ensureEpoch();
        if (created) this.logger.warn({ reason }, 'status state missing in Redis: rebuilding from the topics');
        else if (this.epoch !== null && epoch !== this.epoch)
          this.logger.warn({ reason }, 'status state replaced in Redis: resuming from its offsets');
        await this.restoreErrorResets();
        this.next = await this.positions();
        this.epoch = epoch;
        await this.startConsumer();
        this.logger.info({ reason, epoch }, 'status aggregator consuming');
        return;
      } catch (error) {
        this.logger.warn({ err: error, reason }, `status aggregator could not start; retrying in ${RETRY_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /**
   * Counters built from a log that no longer exists (the topics were deleted and created again, or
   * the cluster replaced) are dropped, so they are rebuilt from the topics as they are. The signs:
   * another cluster id than the one the counters were built from, or an applied offset at or past
   * its partition's end.
   */
  private async discardIfTopicsRecreated(): Promise<void> {
    const applied = await this.store.appliedOffsets();
    const ends = new Map<string, bigint>();
    const clusterId = await this.kafka.clusterId();
    for (const topic of STATUS_SOURCE_TOPICS) {
      for (const { partition, high } of await this.kafka.topicOffsets(topic))
        ends.set(`${topic}:${partition}`, BigInt(high));
    }
    // Offsets of topics no longer read (journal.raw.v2 and journal.archived.v2, counted through
    // journal.progress.v1 since) say nothing about these topics: forgotten, the counters kept.
    const retired = [...applied.keys()].filter((key) => !isSourceKey(key));
    if (retired.length > 0) {
      await this.store.forgetOffsets(retired);
      this.logger.info({ partitions: retired }, 'status state: forgot the offsets of topics no longer read');
    }
    const builtFrom = await this.store.clusterId();
    const gone = [...applied]
      .filter(([key, offset]) => isSourceKey(key) && offset >= (ends.get(key) ?? 0n))
      .map(([key]) => key);
    if (builtFrom !== null && builtFrom !== clusterId) {
      this.logger.warn(
        { builtFrom, clusterId },
        'status state was counted on another Kafka cluster: rebuilding from the topics',
      );
      await this.store.discard();
    } else if (gone.length > 0) {
      this.logger.warn(
        { partitions: gone },
        'status state counts records the topics no longer hold (recreated?): rebuilding from the topics',
      );
      await this.store.discard();
    }
    await this.store.setClusterId(clusterId);
  }

  /** Where each partition resumes: after its applied offset, else the start of the log. */
  private async positions(): Promise<Map<string, string>> {
    const applied = await this.store.appliedOffsets();
    const positions = new Map<string, string>();
    for (const topic of STATUS_SOURCE_TOPICS) {
      for (const { partition, low } of await this.kafka.topicOffsets(topic)) {
        const after = applied.get(`${topic}:${partition}`);
        const start = BigInt(low);
        positions.set(
          `${topic}:${partition}`,
          (after !== undefined && after + 1n > start ? after + 1n : start).toString(),
        );
      }
    }
    return positions;
  }

  private async startConsumer(): Promise<void> {
    const consumer: GroupConsumer = this.kafka.createGroupConsumer({
      groupId: this.config.STATUS_CONSUMER_GROUP,
      topics: [...STATUS_SOURCE_TOPICS],
      readCommitted: true,
      fromBeginning: true,
      autoCommit: true,
      // Only what Redis holds counts as handled: a chunk left undone is fetched again.
      autoResolve: false,
      concurrentPartitions: 3,
      // Synchronous, before the first fetch of the generation: the seeks apply to it.
      onAssigned: (assignment, seek) => {
        for (const { topic, partition } of assignment) {
          const offset = this.next.get(`${topic}:${partition}`);
          if (offset !== undefined) seek({ topic, partition, offset });
        }
        this.joined = true;
      },
      onCrash: (error) => {
        if (consumer === this.consumer) void this.restart(`consumer crashed: ${error.message}`);
      },
      eachBatch: (batch) => this.onBatch(consumer, batch),
    });
    this.consumer = consumer;
    await consumer.start();
  }

  private async onBatch(consumer: GroupConsumer, batch: PartitionBatch): Promise<void> {
    const key = `${batch.topic}:${batch.partition}`;
    for (let i = 0; i < batch.records.length; i += CHUNK) {
      if (!batch.live() || consumer !== this.consumer || !this.epoch) return;
      const chunk = batch.records.slice(i, i + CHUNK);
      const skipped: Array<{ offset: string; reason: string }> = [];
      const records = chunk.map((message): [string, StatusOp[]] => [message.offset, this.opsOf(message, skipped)]);
      if (skipped.length > 0) {
        this.logger.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            count: skipped.length,
            first: skipped[0],
            last: skipped[skipped.length - 1],
          },
          `status aggregator skipped ${skipped.length} unreadable record(s)`,
        );
      }
      // The outcome list first: its rows are keyed by position, so a chunk applied again adds nothing.
      await this.outcomes.record(this.outcomeRowsOf(batch.topic, batch.partition, chunk));
      const result = await this.store.apply(this.epoch, batch.topic, batch.partition, records);
      if (result.reset) {
        void this.restart('the epoch marker in Redis is missing or changed');
        return;
      }
      this.next.set(key, (BigInt(result.lastApplied) + 1n).toString());
      batch.resolve(chunk[chunk.length - 1]!.offset);
      this.changes.add(result.touched);
      await batch.heartbeat();
    }
  }

  /** Rows of the outcome list (rejections, dead letters); records that do not match their schema are left out. */
  private outcomeRowsOf(topic: string, partition: number, chunk: IncomingRecord[]): OutcomeRow[] {
    if (topic !== TOPICS.rejected && topic !== TOPICS.dlq) return [];
    const rows: OutcomeRow[] = [];
    for (const message of chunk) {
      try {
        const row = outcomeRowOf({
          topic,
          partition,
          offset: message.offset,
          value: message.value,
          headers: headersToStrings(message.headers),
        });
        if (row) rows.push(row);
      } catch (error) {
        this.logger.debug({ err: error, topic, partition, offset: message.offset }, 'outcome record not listed');
      }
    }
    return rows;
  }

  /** A record that cannot be read changes nothing (its offset still counts as applied). */
  private opsOf(message: IncomingRecord, skipped: Array<{ offset: string; reason: string }>): StatusOp[] {
    try {
      return opsForRecord(message);
    } catch (error) {
      skipped.push({
        offset: message.offset,
        reason: error instanceof Error ? error.message.slice(0, 300) : String(error),
      });
      return [];
    }
  }

  /** Periodically: has Redis lost (or been given another) state since we adopted ours? */
  private async checkState(): Promise<void> {
    if (this.restarting || this.stopping || this.epoch === null) return;
    try {
      const current = await this.store.currentEpoch();
      if (current !== this.epoch)
        await this.restart(current ? 'the epoch marker in Redis changed' : 'the epoch marker in Redis is missing');
    } catch (error) {
      this.logger.debug({ err: error }, 'status state check failed');
    }
  }

  /** Suspensions reset errors; after a rebuild the resets come back from the event log. */
  private async restoreErrorResets(): Promise<void> {
    const rows: Array<{ connector_id: string; at: Date }> = await this.dataSource.query(
      `SELECT connector_id, max(at) AS at FROM connector_events
        WHERE action = 'suspended' OR details->'changes' @> '[{"field":"suspended","to":true}]'::jsonb
        GROUP BY connector_id`,
    );
    await this.store.raiseErrorsResetAt(rows.map((row) => [row.connector_id, new Date(row.at)]));
  }
}

/** Whether an applied-offset key (`<topic>:<partition>`) is of a topic the aggregator reads. */
function isSourceKey(key: string): boolean {
  const topic = key.slice(0, key.lastIndexOf(':'));
  return (STATUS_SOURCE_TOPICS as readonly string[]).includes(topic);
}
