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

const nonNegativeInt = (fallback: number) =>
  z.coerce.number().int().min(0, 'expected a whole number, 0 or more').default(fallback);

/** Pruning of state that can no longer matter (libs/retention, docs/operations.md "Retention"). */
export const retentionSection = {
  /** How often the service runs the pruning job; 0 runs it only through `npm run prune`. */
  PRUNE_INTERVAL_MS: nonNegativeInt(3_600_000),
  /** Rows or blobs removed per statement or step: short locks, bounded memory. */
  PRUNE_BATCH_SIZE: positiveInt(5000),
  /** Dedup keys (archive_keys) older than this are forgotten: a later duplicate is archived anew. */
  DEDUP_WINDOW_DAYS: positiveInt(30),
  /** Connector events older than this are removed; 0 keeps them forever. */
  EVENT_RETENTION_DAYS: nonNegativeInt(365),
  /** Added to the longest topic retention before an unreferenced blob may go. */
  BLOB_PRUNE_MARGIN_HOURS: positiveInt(24),
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
