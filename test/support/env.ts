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

/** A fixed test key for connector passwords (never used outside tests and the demo). */
export const TEST_CREDENTIAL_KEY = Buffer.alloc(32, 7).toString('base64');

/** A scratch topic for tests that need a topic of their own (never a pipeline topic). */
export const SCRATCH_TOPICS = {
  smoke: 'journalwire.test.smoke',
  processorIn: 'journalwire.test.processor-in',
  processorOut: 'journalwire.test.processor-out',
  /** Output topic with a 64 KiB max.message.bytes, for records the broker refuses as too large. */
  processorSmallOut: 'journalwire.test.processor-small-out',
} as const;

/** One claim-check directory for every service a test starts, as in a deployment. */
export const TEST_BLOB_DIR = `${testEnv.runDir}/test-blobs`;
