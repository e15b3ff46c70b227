import './kafkajs-patches.js';
import {
  Kafka,
  logLevel,
  type KafkaConfig,
  Partitioners,
  type Admin,
  type Consumer,
  type IHeaders,
  type LogEntry,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import type { KafkaConnectionSettings } from '#config';
import { JournalwireError } from '#errors';
import type { Logger } from '#logger';
import type { TopicSpec } from '#contracts';

/** Brokers, client id, TLS and SASL: `kafkaConnection()` of libs/config builds them from the environment. */
export type KafkaSettings = KafkaConnectionSettings;

/** One outgoing record. Values are Buffers end to end: never decoded to strings. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
  /** Not sent: facts about the record for metrics once it is committed. */
  facts?: Record<string, string>;
}

/** One incoming record, exactly as the broker returned it. */
export interface IncomingRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  timestamp: string;
}

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
  createConsumer(groupId: string, options: { readCommitted?: boolean; batching?: boolean } = {}): Consumer {
    return this.kafka.consumer({
      ...(options.batching ? { minBytes: 1024 * 1024, maxWaitTimeInMs: 100 } : {}),
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
    if (routine || refusedLogin) this.logger.debug(fields, `kafka: ${message}`);
    else if (entry.level === logLevel.ERROR) this.logger.error(fields, `kafka: ${message}`);
    else if (entry.level === logLevel.WARN) this.logger.warn(fields, `kafka: ${message}`);
    else this.logger.debug(fields, `kafka: ${message}`);
  }
}

// <kafka-security>: TLS and SASL of every client, from the settings libs/config builds.
function securityOptions(settings: KafkaSettings): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (settings.tls) {
    const { ca, cert, key } = settings.tls;
    options.ssl = ca || cert ? { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } : true;
  }
  if (settings.sasl) {
    const { username, password } = settings.sasl;
    options.sasl =
      settings.sasl.mechanism === 'plain'
        ? { mechanism: 'plain', username, password }
        : settings.sasl.mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return options;
}

/** A failed connect as a JournalwireError when it is about credentials or TLS; the error unchanged otherwise. */
export function describeConnectFailure(error: unknown, settings: KafkaSettings): unknown {
  if (!(error instanceof Error)) return error;
  const brokers = settings.brokers.join(',');
  if (error.name === 'KafkaJSSASLAuthenticationError') {
    const who = settings.sasl ? ` as ${settings.sasl.username} (${settings.sasl.mechanism.toUpperCase()})` : '';
    return new JournalwireError(
      'authentication',
      `Kafka at ${brokers} refused the SASL login${who}: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM (${error.message})`,
      { cause: error, retryable: false },
    );
  }
  const tlsCode = errorCodes(error).find((code) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code));
  if (tlsCode)
    return new JournalwireError(
      tlsCode === 'ERR_TLS_CERT_ALTNAME_INVALID' ? 'tls-hostname' : 'tls-untrusted',
      `Kafka at ${brokers}: TLS failed (${tlsCode}); check KAFKA_SSL_CA_FILE and the brokers' certificates`,
      { cause: error, retryable: false },
    );
  return error;
}

/** The `code`s along an error's cause chain (kafkajs wraps the socket's error). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const { code, cause } = e as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    e = cause;
  }
  return codes;
}
// </kafka-security>

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
    for (const record of current) byTopic.set(record.topic, [...(byTopic.get(record.topic) ?? []), record]);
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
