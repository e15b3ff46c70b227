import { z } from 'zod';

/** Reusable building blocks; each app composes the sections it needs into one schema. */
export const port = (fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1, 'expected a TCP port 1-65535')
    .max(65535, 'expected a TCP port 1-65535')
    .default(fallback);

export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive('expected a positive integer').default(fallback);

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

export const kafkaSection = {
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((value) =>
      value
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .refine(
      (brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d+$/.test(b)),
      'expected host:port[,host:port...]',
    ),
  KAFKA_CLIENT_ID: z.string().default('journalwire'),
};

/** The consume-produce processors (envelope, policy): retries, dead letters, record sizes. */
export const processorSection = {
  /** Tries of a record that keeps failing before it is dead-lettered (an outage does not count). */
  PROCESSOR_MAX_ATTEMPTS: positiveInt(5),
  /** First pause between tries of a failing record; doubles each try, at most 30 s. */
  PROCESSOR_RETRY_BACKOFF_MS: positiveInt(500),
  /** One try of a chunk (or of one record) that takes longer fails with `timeout`. */
  PROCESSOR_ATTEMPT_TIMEOUT_MS: positiveInt(120_000),
  /** The output topics' max.message.bytes: every record is sized against it before it is sent. */
  KAFKA_MAX_MESSAGE_BYTES: positiveInt(2 * 1024 * 1024),
};

export const redisSection = {
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
};

export const databaseSection = {
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/journalwire'),
};

export const httpSection = (defaultPort: number) => ({
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: port(defaultPort),
});

export const logSection = {
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** none (trace ids still travel in Kafka headers), console, or otlp (OTLP over HTTP). */
  OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
};

export const blobSection = {
  BLOB_DIR: z.string().default('/tmp/journalwire/blobs'),
  INLINE_LIMIT_BYTES: positiveInt(512 * 1024),
};

export const credentialKeySection = {
  /** 32 bytes, base64: the AES-256-GCM key for connector passwords at rest. */
  CREDENTIAL_KEY: z
    .string({ message: 'expected 32 random bytes, base64-encoded (openssl rand -base64 32)' })
    .refine(
      (v) => Buffer.from(v, 'base64').length === 32,
      'expected 32 random bytes, base64-encoded (openssl rand -base64 32)',
    ),
  /** Older keys still accepted for decryption during a rotation, comma-separated base64. */
  CREDENTIAL_KEYS_PREVIOUS: z.string().default(''),
};
