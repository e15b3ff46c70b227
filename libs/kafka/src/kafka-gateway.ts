import {
  Admin,
  ConfigResourceTypes,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer,
  type BaseOptions,
} from '@platformatic/kafka';
import type { KafkaConnectionSettings } from '#config';
import { JournalwireError, withDeadline } from '#errors';
import type { Logger } from '#logger';
import type { TopicSpec } from '#contracts';
import { describeConnectFailure, securityOptions } from './connection-security.js';
import { completeReadCommittedFiltering } from './read-committed.js';
import { RETRIES, retryDelay } from './retry-delay.js';
import { GroupConsumer, type GroupConsumerOptions, type PartitionOffset } from './group-consumer.js';
import { keyPartitioner, partitionForKey } from './partitioner.js';
import { ReliableProducer } from './reliable-producer.js';

/** Brokers, client id, TLS and SASL: `kafkaConnection()` of libs/config builds them from the environment. */
export type KafkaSettings = KafkaConnectionSettings;

/**
 * The client's request timeout; for a transactional producer it is also the transaction timeout
 * it asks the coordinator for (the client's default, 5 s, would abort a slow chunk's transaction).
 */
export const KAFKA_TIMEOUT_MS = 30_000;

/** How long a readiness ping waits for the cluster's answer. */
const PING_TIMEOUT_MS = 4000;

/**
 * The one Kafka layer over @platformatic/kafka. Producers are idempotent with acks=all; consumers
 * never auto-commit unless asked: offsets move only after the caller says the record's output is durable.
 */
export class KafkaGateway {
  private sharedAdmin: Promise<Admin> | null = null;

  constructor(
    private readonly settings: KafkaSettings,
    private readonly logger: Logger,
  ) {}

  /** Connection options every client of this gateway shares. */
  clientOptions(): BaseOptions {
    return {
      clientId: this.settings.clientId,
      bootstrapBrokers: this.settings.brokers,
      ...securityOptions(this.settings),
      connectTimeout: 3000,
      timeout: KAFKA_TIMEOUT_MS,
      retries: RETRIES,
      retryDelay,
      autocreateTopics: false,
    };
  }

  /** An idempotent producer (acks=all, retries without duplicates), transactional with `transactionalId`. */
  async createProducer(options: { transactionalId?: string } = {}): Promise<ReliableProducer> {
    const producer = new Producer({
      ...this.clientOptions(),
      idempotent: true,
      // A new producer id (InitProducerId with -1/-1): the client's default (0/0) asks to bump an
      // epoch it does not own, which the coordinator refuses as PRODUCER_FENCED once the
      // transactional id has been used before (a restart, a producer replaced after a failure).
      producerId: -1n,
      producerEpoch: -1,
      acks: ProduceAcks.ALL,
      partitioner: keyPartitioner,
      ...(options.transactionalId ? { transactionalId: options.transactionalId } : {}),
    });
    return new ReliableProducer(await this.connected(producer, 'producer'));
  }

  /** A group member consumer (no stream yet): the settings every group member of journalwire uses. */
  createConsumer(groupId: string): Consumer {
    const consumer = new Consumer({
      ...this.clientOptions(),
      groupId,
      autocommit: false,
      sessionTimeout: 15_000,
      heartbeatInterval: 3_000,
      rebalanceTimeout: 30_000,
      // A fetch response stays in memory while any record of it is queued: small fetches keep
      // each service's footprint small. A record larger than these still comes whole (Kafka
      // always returns a partition's first batch).
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxBytes: 8 * 1024 * 1024,
    });
    this.routeErrors(consumer, `consumer ${groupId}`);
    completeReadCommittedFiltering(consumer);
    return consumer;
  }

  /** A group member handing per-partition batches of `IncomingRecord`s to the caller (see GroupConsumer). */
  createGroupConsumer(options: GroupConsumerOptions): GroupConsumer {
    return new GroupConsumer(this.createConsumer(options.groupId), options, this.logger);
  }

  /** Each partition's first and next offset (`low`, `high`: the end a reader reaches). */
  async topicOffsets(topic: string): Promise<Array<{ partition: number; low: string; high: string }>> {
    const partitions = await this.partitionIds(topic);
    const [lows, highs] = await Promise.all([
      this.offsetsAt(topic, partitions, ListOffsetTimestamps.EARLIEST),
      this.offsetsAt(topic, partitions, ListOffsetTimestamps.LATEST),
    ]);
    return partitions.map((partition) => ({
      partition,
      low: (lows.get(partition) ?? 0n).toString(),
      high: (highs.get(partition) ?? 0n).toString(),
    }));
  }

  /** Each partition's first offset written at or after `timestampMs` ('-1' when none is). */
  async topicOffsetsAt(topic: string, timestampMs: number): Promise<PartitionOffset[]> {
    const partitions = await this.partitionIds(topic);
    const offsets = await this.offsetsAt(topic, partitions, BigInt(timestampMs));
    return partitions.map((partition) => ({
      topic,
      partition,
      offset: (offsets.get(partition) ?? -1n).toString(),
    }));
  }

  /** A group's committed offsets on `topics` ('-1' for a partition it never committed). */
  async committedOffsets(groupId: string, topics: string[]): Promise<PartitionOffset[]> {
    const requested = await Promise.all(
      topics.map(async (name) => ({ name, partitionIndexes: await this.partitionIds(name) })),
    );
    const [group] = await this.withAdmin((admin) =>
      admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: requested }] }),
    );
    const committed = new Map<string, bigint>();
    for (const topic of group?.topics ?? [])
      for (const p of topic.partitions) committed.set(`${topic.name}:${p.partitionIndex}`, p.committedOffset);
    return requested.flatMap(({ name, partitionIndexes }) =>
      partitionIndexes.map((partition) => ({
        topic: name,
        partition,
        offset: (committed.get(`${name}:${partition}`) ?? -1n).toString(),
      })),
    );
  }

  /** The partition the producers give a record with each key, in order (the topic's current partition count). */
  async partitionsForKeys(topic: string, keys: string[]): Promise<number[]> {
    const count = (await this.partitionIds(topic)).length;
    if (count === 0)
      throw new JournalwireError('kafka-unavailable', `Topic ${topic} has no partitions`, { retryable: true });
    return keys.map((key) => partitionForKey(key, count));
  }

  /** The Kafka cluster's id: it changes when the cluster is replaced (a new log, offsets from zero). */
  async clusterId(): Promise<string> {
    return this.withAdmin(async (admin) => (await admin.metadata({ topics: [], forceUpdate: true })).id);
  }

  /** The names of the cluster's topics. */
  async listTopics(): Promise<string[]> {
    return this.withAdmin((admin) => admin.listTopics());
  }

  /** One broker setting as each broker has it (undefined where a broker does not report it). */
  async brokerSetting(name: string): Promise<Array<{ broker: number; value: string | undefined }>> {
    return this.withAdmin(async (admin) => {
      const { brokers } = await admin.metadata({ topics: [], forceUpdate: true });
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [...brokers.keys()].map((nodeId) => ({
          resourceType: ConfigResourceTypes.BROKER,
          resourceName: String(nodeId),
          configurationKeys: [name],
        })),
      });
      return described.map((resource) => ({
        broker: Number(resource.resourceName),
        value: resource.configs.find((entry) => entry.name === name)?.value ?? undefined,
      }));
    });
  }

  /** Each topic's settings among `names` as the broker reports them (null where unset). */
  async topicSettings(
    topics: string[],
    names: string[],
  ): Promise<Array<{ topic: string; values: Map<string, string> }>> {
    return this.withAdmin(async (admin) => {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((topic) => ({
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configurationKeys: names,
        })),
      });
      return described.map((resource) => ({
        topic: resource.resourceName,
        values: new Map(
          resource.configs.flatMap((entry) => (entry.value == null ? [] : [[entry.name, entry.value] as const])),
        ),
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
    return this.withAdmin(async (admin) => [...(await admin.listGroups()).keys()]);
  }

  /** Deletes consumer groups (empty ones: a group with live members is refused). */
  async deleteGroups(groupIds: string[]): Promise<void> {
    if (groupIds.length === 0) return;
    await this.withAdmin((admin) => admin.deleteGroups({ groups: groupIds }));
  }

  /** A consumer group's state and its members' assignments (topic → partitions). */
  async describeGroup(groupId: string): Promise<{
    state: string;
    members: Array<{ memberId: string; clientId: string; host: string; assignment: Record<string, number[]> }>;
  }> {
    return this.withAdmin(async (admin) => {
      const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
      if (!group) return { state: 'Dead', members: [] };
      return {
        state: group.state,
        members: [...group.members.values()].map((member) => ({
          memberId: member.id,
          clientId: member.clientId,
          host: member.clientHost,
          assignment: Object.fromEntries(
            [...(member.assignments?.values() ?? [])].map(({ topic, partitions }) => [topic, partitions]),
          ),
        })),
      };
    });
  }

  /** Creates the topics that are missing; never changes existing ones. Idempotent. */
  async ensureTopics(specs: TopicSpec[]): Promise<{ created: string[]; existing: string[] }> {
    const present = new Set(await this.listTopics());
    const missing = specs.filter((spec) => !present.has(spec.name));
    for (const spec of missing) {
      await this.withAdmin((admin) =>
        admin.createTopics({
          topics: [spec.name],
          partitions: spec.partitions,
          replicas: -1,
          configs: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
        }),
      );
    }
    if (missing.length > 0) await this.waitForLeaders(missing.map((spec) => spec.name));
    return {
      created: missing.map((s) => s.name),
      existing: specs.filter((s) => present.has(s.name)).map((s) => s.name),
    };
  }

  /** Resolves when the cluster answers a metadata request (for readiness probes). */
  async ping(): Promise<void> {
    // Bounded here, not only by the caller: a request stuck on a connection from before a broker
    // restart then fails, and withAdmin replaces the admin client instead of every later ping
    // joining the same stuck request.
    await this.withAdmin((admin) =>
      withDeadline(
        admin.metadata({ topics: [], forceUpdate: true, retries: 0 }),
        PING_TIMEOUT_MS,
        () =>
          new JournalwireError(
            'kafka-unavailable',
            `Kafka did not answer a metadata request within ${PING_TIMEOUT_MS} ms`,
            { retryable: true },
          ),
      ),
    );
  }

  /**
   * Runs `use` on one long-lived admin client, shared by every caller (readiness probes, lag for
   * /metrics) instead of a connection per request. Created on first use; after a failure it is
   * dropped and the next call connects again.
   */
  async withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const pending = (this.sharedAdmin ??= this.openAdmin());
    try {
      return await use(await pending);
    } catch (error) {
      if (this.sharedAdmin === pending) {
        this.sharedAdmin = null;
        void pending.then((admin) => admin.close()).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Closes the shared admin connection (at shutdown). */
  async closeAdmin(): Promise<void> {
    const pending = this.sharedAdmin;
    this.sharedAdmin = null;
    await pending?.then((admin) => admin.close()).catch(() => undefined);
  }

  /** A new admin client, connected (a refused login or TLS failure named precisely). */
  async openAdmin(): Promise<Admin> {
    return this.connected(new Admin(this.clientOptions()), 'admin');
  }

  /** `client` with its background errors logged, once it has answered a first request (closed if not). */
  private async connected<T extends Admin | Producer>(client: T, label: string): Promise<T> {
    this.routeErrors(client, label);
    try {
      await this.probe(client);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /**
   * A first metadata request: once without retries, so that a refused login or an untrusted
   * certificate fails at once, then with the client's retries when the failure was anything else.
   */
  private async probe(client: Admin | Producer): Promise<void> {
    try {
      await client.metadata({ topics: [], retries: 0 });
    } catch (error) {
      const described = describeConnectFailure(error, this.settings);
      if (described !== error) throw described;
      await this.connecting(client.metadata({ topics: [] }).then(() => undefined));
    }
  }

  /**
   * Awaits a first request and names a refused login precisely: wrong credentials are an
   * operator's error to fix, not an outage to wait out.
   */
  async connecting(connect: Promise<void>): Promise<void> {
    try {
      await connect;
    } catch (error) {
      throw describeConnectFailure(error, this.settings);
    }
  }

  /** The read-committed isolation level of every reader of journalwire. */
  static readonly readCommitted = FetchIsolationLevels.READ_COMMITTED;

  private async partitionIds(topic: string): Promise<number[]> {
    const metadata = await this.withAdmin((admin) => admin.metadata({ topics: [topic], forceUpdate: true }));
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, i) => i);
  }

  private async offsetsAt(topic: string, partitions: number[], timestamp: bigint): Promise<Map<number, bigint>> {
    if (partitions.length === 0) return new Map();
    const [listed] = await this.withAdmin((admin) =>
      admin.listOffsets({
        topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
        isolationLevel: FetchIsolationLevels.READ_UNCOMMITTED,
      }),
    );
    return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  }

  private async waitForLeaders(topics: string[]): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const metadata = await this.withAdmin((admin) => admin.metadata({ topics, forceUpdate: true })).catch(
        () => undefined,
      );
      const ready = topics.every((topic) => {
        const partitions = metadata?.topics.get(topic)?.partitions ?? [];
        return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * The clients report background failures (a heartbeat or rejoin that failed) as 'error' events:
   * without a listener Node would throw them. They are retried by the client, so they are logged
   * at debug level; what the caller must act on reaches it through the request that failed.
   */
  private routeErrors(client: Admin | Producer | Consumer, role: string): void {
    client.on('error', (error: Error) => this.logger.debug({ err: error, role }, `kafka ${role}: ${error.message}`));
  }
}
