import { z } from 'zod';
import { kafkaConnection, kafkaSection, loadConfig, type KafkaConnectionSettings } from '#config';

/** Endpoints of the local stack (deploy/local/env.sh exports them; defaults match it). */
export const testEnv = {
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  databaseUrl: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/journalwire_test',
  pop3Host: process.env.POP3_HOST ?? '127.0.0.1',
  pop3Port: Number(process.env.POP3_PORT ?? 11110),
  pop3sPort: Number(process.env.POP3S_PORT ?? 11995),
  pop3CaFile: process.env.POP3_CA_FILE ?? '/tmp/journalwire/dovecot/tls/ca.pem',
  runDir: process.env.JW_RUN_DIR ?? '/tmp/journalwire',
};

/**
 * Kafka settings for a test client, read from the environment as the services read theirs
 * (KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL*), with `overrides` on top.
 */
export function testKafka(clientId: string, overrides: Record<string, string> = {}): KafkaConnectionSettings {
  return kafkaConnection(loadConfig(z.object(kafkaSection), { ...process.env, ...overrides }), clientId);
}

/**
 * The environment that points a service or a client at the local stack's SASL_SSL listener
 * (deploy/local/stack.sh: SCRAM users, the test CA), with `mechanism` and `password` to choose.
 */
export function saslSslEnv(
  options: { mechanism?: 'scram-sha-512' | 'scram-sha-256' | 'plain'; password?: string } = {},
): Record<string, string> {
  const port = Number(process.env.KAFKA_SASL_SSL_PORT ?? Number(process.env.KAFKA_PORT ?? 19092) + 2);
  const runDir = process.env.JW_RUN_DIR ?? '/tmp/journalwire';
  return {
    KAFKA_BROKERS: process.env.KAFKA_SASL_SSL_BROKERS ?? `127.0.0.1:${port}`,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: process.env.KAFKA_SASL_SSL_CA_FILE ?? `${runDir}/dovecot/tls/ca.pem`,
    KAFKA_SASL_MECHANISM: options.mechanism ?? 'scram-sha-512',
    KAFKA_SASL_USERNAME: process.env.KAFKA_SASL_SSL_USER ?? 'journalwire',
    ...(options.password === undefined
      ? { KAFKA_SASL_PASSWORD_FILE: process.env.KAFKA_SASL_SSL_PASSWORD_FILE ?? `${runDir}/kafka/sasl/password` }
      : { KAFKA_SASL_PASSWORD: options.password }),
  };
}

/** A fixed test key for connector passwords (never used outside tests and the demo). */
export const TEST_CREDENTIAL_KEY = Buffer.alloc(32, 7).toString('base64');

/** A scratch topic for tests that need a topic of their own (never a pipeline topic). */
export const SCRATCH_TOPICS = {
  smoke: 'journalwire.test.smoke',
  processorIn: 'journalwire.test.processor-in',
  processorOut: 'journalwire.test.processor-out',
  /** Output topic with a 64 KiB max.message.bytes, for records the broker refuses as too large. */
  processorSmallOut: 'journalwire.test.processor-small-out',
  /** Input with aborted transactions larger than one fetch. */
  abortedRange: 'journalwire.test.aborted-range',
  /** Three partitions, for a group member's auto-commit. */
  autoCommit: 'journalwire.test.auto-commit',
} as const;

/** One claim-check directory for every service a test starts, as in a deployment. */
export const TEST_BLOB_DIR = `${testEnv.runDir}/test-blobs`;
