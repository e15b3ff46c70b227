import './kafkajs-patches.js';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type LogEntry } from 'kafkajs';
import type { KafkaConnectionSettings } from '#config';
import { JournalwireError } from '#errors';
import type { Logger } from '#logger';
import type { TopicSpec } from '#contracts';
import { describeConnectFailure, securityOptions } from './connection-security.js';
import { GroupConsumer, type GroupConsumerOptions, type PartitionOffset } from './group-consumer.js';
import { partitionFor, ReliableProducer } from './reliable-producer.js';

/** Brokers, client id, TLS and SASL: `kafkaConnection()` of libs/config builds them from the environment. */
export type KafkaSettings = KafkaConnectionSettings;

/**
 * The one Kafka layer over kafkajs. Producers are idempotent with acks=all; consumers never
 * auto-commit: offsets move only after the caller says the record's output is durable.
 */
export class KafkaGateway {
  readonly kafka: Kafka;
  private sharedAdmin: Promise<Admin> | null = null;

  constructor(
    private readonly settings: KafkaSettings,
    private readonly logger: Logger,
  ) {
    this.kafka = new Kafka({
      clientId: settings.clientId,
      brokers: settings.brokers,
      ...securityOptions(settings),
      connectionTimeout: 3000,
      requestTimeout: 30000,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafka(entry),
    });
  }

  /** An idempotent producer (acks=all, retries without duplicates). */
  async createProducer(options: { transactionalId?: string } = {}): Promise<ReliableProducer> {
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
      maxInFlightRequests: options.transactionalId ? 1 : 5,
      // Kafka answers CONCURRENT_TRANSACTIONS while the previous transaction's markers are being
      // written; a short first retry keeps back-to-back transactions fast.
      ...(options.transactionalId
        ? {
            transactionalId: options.transactionalId,
            transactionTimeout: 30000,
            retry: { initialRetryTime: 20, retries: 12, maxRetryTime: 2000 },
          }
        : {}),
      allowAutoTopicCreation: false,
    });
    await this.connecting(producer.connect());
    return new ReliableProducer(producer);
  }

  /**
   * `batching` makes fetches wait up to 100 ms for about 1 MiB: under load each transaction then
   * carries more records, at the price of that wait when traffic is light.
   */
  createConsumer(
    groupId: string,
    options: { readCommitted?: boolean; batching?: boolean; fetchMaxWaitMs?: number } = {},
  ): Consumer {
    return this.kafka.consumer({
      ...(options.batching ? { minBytes: 1024 * 1024, maxWaitTimeInMs: 100 } : {}),
      ...(options.fetchMaxWaitMs !== undefined ? { maxWaitTimeInMs: options.fetchMaxWaitMs } : {}),
      groupId,
      allowAutoTopicCreation: false,
      readUncommitted: options.readCommitted === false,
      sessionTimeout: 15000,
      heartbeatInterval: 3000,
      rebalanceTimeout: 30000,
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
    });
  }

  /** A group member handing per-partition batches of `IncomingRecord`s to the caller (see GroupConsumer). */
  createGroupConsumer(options: GroupConsumerOptions): GroupConsumer {
    const consumer = this.createConsumer(options.groupId, {
      readCommitted: options.readCommitted ?? true,
      ...(options.fetchMaxWaitMs !== undefined ? { fetchMaxWaitMs: options.fetchMaxWaitMs } : {}),
    });
    return new GroupConsumer(consumer, options);
  }

  /** Each partition's first and next offset (`low`, `high`: the end a reader reaches). */
  async topicOffsets(topic: string): Promise<Array<{ partition: number; low: string; high: string }>> {
    return this.withAdmin(async (admin) =>
      (await admin.fetchTopicOffsets(topic)).map(({ partition, low, high }) => ({ partition, low, high })),
    );
  }

  /** Each partition's first offset written at or after `timestampMs` ('-1' when none is). */
  async topicOffsetsAt(topic: string, timestampMs: number): Promise<PartitionOffset[]> {
    return this.withAdmin(async (admin) =>
      (await admin.fetchTopicOffsetsByTimestamp(topic, timestampMs)).map(({ partition, offset }) => ({
        topic,
        partition,
        offset,
      })),
    );
  }

  /** A group's committed offsets on `topics` ('-1' for a partition it never committed). */
  async committedOffsets(groupId: string, topics: string[]): Promise<PartitionOffset[]> {
    return this.withAdmin(async (admin) =>
      (await admin.fetchOffsets({ groupId, topics })).flatMap(({ topic, partitions }) =>
        partitions.map(({ partition, offset }) => ({ topic, partition, offset })),
      ),
    );
  }

  /** The partition the producers give a record with each key, in order (the topic's current partition count). */
  async partitionsForKeys(topic: string, keys: string[]): Promise<number[]> {
    const metadata = await this.withAdmin((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    const partitions = metadata.topics[0]?.partitions ?? [];
    if (partitions.length === 0)
      throw new JournalwireError('kafka-unavailable', `Topic ${topic} has no partitions`, { retryable: true });
    return keys.map((key) => partitionFor(topic, key, partitions));
  }

  /** The Kafka cluster's id: it changes when the cluster is replaced (a new log, offsets from zero). */
  async clusterId(): Promise<string> {
    return this.withAdmin(async (admin) => (await admin.describeCluster()).clusterId);
  }

  /** The names of the cluster's topics. */
  async listTopics(): Promise<string[]> {
    return this.withAdmin((admin) => admin.listTopics());
  }

  /** One broker setting as each broker has it (undefined where a broker does not report it). */
  async brokerSetting(name: string): Promise<Array<{ broker: number; value: string | undefined }>> {
    return this.withAdmin(async (admin) => {
      const { brokers } = await admin.describeCluster();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        // kafkajs's ConfigResourceTypes.BROKER
        resources: brokers.map((broker) => ({ type: 4, name: String(broker.nodeId), configNames: [name] })),
      });
      return resources.map((resource) => ({
        broker: Number(resource.resourceName),
        value: resource.configEntries.find((entry) => entry.configName === name)?.configValue,
      }));
    });
  }

  /** Deletes topics (scratch topics of tests and benchmarks); missing ones are ignored. */
  async deleteTopics(topics: string[]): Promise<void> {
    const present = new Set(await this.listTopics());
    const existing = topics.filter((topic) => present.has(topic));
    if (existing.length > 0) await this.withAdmin((admin) => admin.deleteTopics({ topics: existing }));
  }

  /** The ids of the consumer groups the cluster knows. */
  async listGroupIds(): Promise<string[]> {
    return this.withAdmin(async (admin) => (await admin.listGroups()).groups.map((group) => group.groupId));
  }

  /** Deletes consumer groups (empty ones: a group with live members is refused). */
  async deleteGroups(groupIds: string[]): Promise<void> {
    if (groupIds.length === 0) return;
    await this.withAdmin((admin) => admin.deleteGroups(groupIds));
  }

  /** Creates the topics that are missing; never changes existing ones. Idempotent. */
  async ensureTopics(specs: TopicSpec[]): Promise<{ created: string[]; existing: string[] }> {
    const admin: Admin = this.kafka.admin();
    await this.connecting(admin.connect());
    try {
      const present = new Set(await admin.listTopics());
      const missing = specs.filter((spec) => !present.has(spec.name));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((spec) => ({
            topic: spec.name,
            numPartitions: spec.partitions,
            replicationFactor: -1,
            configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
          })),
        });
      }
      return {
        created: missing.map((s) => s.name),
        existing: specs.filter((s) => present.has(s.name)).map((s) => s.name),
      };
    } finally {
      await admin.disconnect();
    }
  }

  /** Resolves when the cluster answers a metadata request (for readiness probes). */
  async ping(): Promise<void> {
    await this.withAdmin((admin) => admin.describeCluster());
  }

  /**
   * Runs `use` on one long-lived admin connection, shared by every caller (readiness probes,
   * lag for /metrics) instead of a connection per request. Connected on first use; after a
   * failure it is dropped and the next call connects again.
   */
  async withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const pending = (this.sharedAdmin ??= this.connectAdmin());
    try {
      return await use(await pending);
    } catch (error) {
      if (this.sharedAdmin === pending) {
        this.sharedAdmin = null;
        void pending.then((admin) => admin.disconnect()).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Closes the shared admin connection (at shutdown). */
  async closeAdmin(): Promise<void> {
    const pending = this.sharedAdmin;
    this.sharedAdmin = null;
    await pending?.then((admin) => admin.disconnect()).catch(() => undefined);
  }

  private async connectAdmin(): Promise<Admin> {
    const admin = this.kafka.admin();
    await this.connecting(admin.connect());
    return admin;
  }

  /**
   * Awaits a connect and names a refused login precisely: wrong credentials are an operator's
   * error to fix, not an outage to wait out.
   */
  async connecting(connect: Promise<void>): Promise<void> {
    try {
      await connect;
    } catch (error) {
      throw describeConnectFailure(error, this.settings);
    }
  }

  private logKafka(entry: LogEntry): void {
    const { message, ...rest } = entry.log;
    const fields = { namespace: entry.namespace, ...rest };
    // Transactions retry these by design: not worth an operator's attention.
    const routine =
      /concurrent operation on the same transaction|group coordinator is not available|Limiting retries for the idempotent producer/i.test(
        `${message} ${String(rest.error ?? '')}`,
      );
    // A refused SASL login reaches the caller as one `authentication` error naming what to fix.
    const refusedLogin = /authentication failed/i.test(`${message} ${String(rest.error ?? '')}`);
    // An instance joining or leaving its group (scaling out, a restart) moves partitions: expected.
    // kafkajs reports it from the runner (re-joining) and, for each heartbeat the rebalance
    // refuses, from the connection; the processor abandons the batch and rejoins.
    const rebalance = /The group is rebalancing/.test(`${message} ${String(rest.error ?? '')}`);
    if (routine || refusedLogin) this.logger.debug(fields, `kafka: ${message}`);
    else if (rebalance) this.logger.info(fields, `kafka: ${message}`);
    else if (entry.level === logLevel.ERROR) this.logger.error(fields, `kafka: ${message}`);
    else if (entry.level === logLevel.WARN) this.logger.warn(fields, `kafka: ${message}`);
    else this.logger.debug(fields, `kafka: ${message}`);
  }
}
