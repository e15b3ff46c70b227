import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { JournalwireError } from '#errors';

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

/** A comma-separated variable as a list: items trimmed, empty ones dropped (`''` is the empty list). */
export const commaList = (fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

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

/** The consume-produce processors (envelope, policy): retries, dead letters, record sizes. */
export const processorSection = {
  /** Tries of a record that keeps failing before it is dead-lettered (an outage does not count). */
  PROCESSOR_MAX_ATTEMPTS: positiveInt(5),
  /** First pause between tries of a failing record; doubles each try, at most 30 s. */
  PROCESSOR_RETRY_BACKOFF_MS: positiveInt(500),
  /** One try of a chunk (or of one record) that takes longer fails with `timeout`. */
  PROCESSOR_ATTEMPT_TIMEOUT_MS: positiveInt(30_000),
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

const CREDENTIAL_KEY_RULE = 'expected 32 random bytes, base64-encoded (openssl rand -base64 32)';
const credentialKey = z
  .string({ message: CREDENTIAL_KEY_RULE })
  .refine((v) => Buffer.from(v, 'base64').length === 32, CREDENTIAL_KEY_RULE);

export const credentialKeySection = {
  /** 32 bytes, base64: the AES-256-GCM key for connector passwords at rest. */
  CREDENTIAL_KEY: credentialKey,
  /** Older keys still accepted for decryption during a rotation: comma-separated base64, parsed into a list. */
  CREDENTIAL_KEYS_PREVIOUS: commaList().pipe(z.array(credentialKey)),
};

const readableFile = z.string().refine((path) => existsSync(path), 'expected a readable file');

/** TLS on a service's own listeners (HTTP and gRPC): a PEM certificate chain and its key; both or neither. */
export const serverTlsSection = {
  SERVER_TLS_CERT_FILE: readableFile.optional(),
  SERVER_TLS_KEY_FILE: readableFile.optional(),
};

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
}

/** Reads the certificate and key named by serverTlsSection; null when TLS is off. */
export function readServerTls(config: {
  SERVER_TLS_CERT_FILE?: string | undefined;
  SERVER_TLS_KEY_FILE?: string | undefined;
}): ServerTls | null {
  const { SERVER_TLS_CERT_FILE: certFile, SERVER_TLS_KEY_FILE: keyFile } = config;
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile)
    throw new JournalwireError(
      'config-invalid',
      'Invalid configuration: SERVER_TLS_CERT_FILE and SERVER_TLS_KEY_FILE go together (set both, or neither for plaintext)',
    );
  return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
}

/**
 * Express's "trust proxy": whose X-Forwarded-For to believe for the client address (false:
 * none, the socket's address counts; true; a hop count; or addresses/subnets, comma-separated).
 */
export const trustProxySection = {
  HTTP_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | number | string => {
      if (value === 'false') return false;
      if (value === 'true') return true;
      return /^\d+$/.test(value) ? Number(value) : value;
    }),
};
