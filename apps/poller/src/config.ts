import { hostname } from 'node:os';
import { z } from 'zod';
import {
  blobSection,
  commaList,
  credentialKeySection,
  databaseSection,
  httpSection,
  kafkaSection,
  loadConfig,
  logSection,
  positiveInt,
  redisSection,
  type Env,
} from '#config';

const MIB = 1024 * 1024;

export const pollerConfigSchema = z
  .object({
    ...httpSection(3001),
    ...logSection,
    ...kafkaSection,
    ...redisSection,
    ...databaseSection,
    ...blobSection,
    ...credentialKeySection,
    /** Names this instance in leases and logs. */
    POLLER_INSTANCE_ID: z.string().default(() => `${hostname()}-${process.pid}`),
    /** Lifetime of a mailbox lease; renewed every third of it. */
    LEASE_TTL_MS: positiveInt(30_000).refine((ms) => ms >= 3000, 'expected at least 3000 ms'),
    /** How often the connector list is read and due connectors are started. */
    POLL_TICK_MS: positiveInt(1000),
    /** A message the server refuses (-ERR on RETR) this many times is skipped and left in the mailbox. */
    MAX_RETRIEVAL_ATTEMPTS: positiveInt(3),
    /**
     * One batch: pipelined RETRs, one publish, one ledger insert, one run of DELEs. 250 messages
     * of about 30 KB come near BATCH_MAX_BYTES; fewer per batch cost each message more round
     * trips (ADR 0003, batch size).
     */
    BATCH_MAX_MESSAGES: positiveInt(250),
    BATCH_MAX_BYTES: positiveInt(8 * MIB),
    /**
     * Largest record batch of one partition in a produce request: no batch may exceed the broker's
     * and topic's message size limits. A request carries the batches of several partitions (up to
     * 4 MiB in all, or this value if larger).
     */
    PRODUCE_MAX_BYTES: positiveInt(900 * 1024),
    /**
     * Longest wait for Kafka's acknowledgement (or for reading Kafka back after a crash) before the
     * session gives up with kafka-unavailable and backs off. Unacknowledged messages stay in the mailbox.
     */
    PUBLISH_TIMEOUT_MS: positiveInt(30_000),
    /**
     * Outstanding RETR commands when the server supports PIPELINING, and their listed bytes: how far
     * the server may run ahead while the poller is busy committing (ADR 0003, retrieval window).
     */
    RETRIEVE_WINDOW: positiveInt(128),
    RETRIEVE_WINDOW_BYTES: positiveInt(4 * MIB),
    /** Mailboxes worked at once by this instance. */
    MAX_CONCURRENT_SESSIONS: positiveInt(8),
    /** Cap of the exponential back-off while Kafka is unavailable. */
    KAFKA_BACKOFF_MAX_MS: positiveInt(30_000),
    /** On SIGTERM, how long an in-flight RETR/publish may finish before it is abandoned. */
    SHUTDOWN_GRACE_MS: positiveInt(10_000),
    /** Only these connector ids (comma-separated); empty: every connector. For canaries and pinning. */
    POLLER_CONNECTOR_IDS: commaList().refine(
      (ids) => ids.every((id) => /^[0-9a-f-]{36}$/i.test(id)),
      'expected connector ids (UUIDs), comma-separated',
    ),
    /** Absolute deadline of one POP3 response (RETR included), however steadily the server trickles. */
    POP3_COMMAND_DEADLINE_MS: positiveInt(10 * 60_000),
    /** Absolute deadline of one POP3 session; then the connection is dropped and the lease released. */
    POP3_SESSION_DEADLINE_MS: positiveInt(60 * 60_000),
    /** Extra trusted CA bundle (PEM file) for strict TLS, in addition to the system store. */
    POP3_CA_FILE: z.string().optional(),
  })
  .superRefine((config, context) => {
    // An inline record must fit in one partition's batch (and so under the topic's max.message.bytes).
    if (config.INLINE_LIMIT_BYTES > config.PRODUCE_MAX_BYTES - 64 * 1024) {
      context.addIssue({
        code: 'custom',
        path: ['INLINE_LIMIT_BYTES'],
        message: `expected at most PRODUCE_MAX_BYTES - 64 KiB (${config.PRODUCE_MAX_BYTES - 64 * 1024})`,
      });
    }
  });
export type PollerConfig = z.infer<typeof pollerConfigSchema>;

export function loadPollerConfig(env: Env = process.env): PollerConfig {
  return loadConfig(pollerConfigSchema, env);
}
