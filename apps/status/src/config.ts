import { existsSync } from 'node:fs';
import { z } from 'zod';
import {
  blobSection,
  credentialKeySection,
  databaseSection,
  httpSection,
  kafkaSection,
  logSection,
  loadConfig,
  port,
  positiveInt,
  redisSection,
  serverTlsSection,
  trustProxySection,
  type Env,
} from '#config';
import { CONSUMER_GROUPS } from '#contracts';

export const statusConfigSchema = z.object({
  ...httpSection(3000),
  ...logSection,
  ...kafkaSection,
  ...databaseSection,
  ...redisSection,
  ...credentialKeySection,
  ...serverTlsSection,
  ...trustProxySection,
  /** The claim-check store: a replayed message above INLINE_LIMIT_BYTES goes there, as the poller's would. */
  ...blobSection,
  /** gRPC listener (ConnectorStatusService). */
  GRPC_HOST: z.string().default('127.0.0.1'),
  GRPC_PORT: port(50051),
  /** Extra CA bundle (PEM) trusted by Test Journal Extraction in strict mode, besides the system CAs. */
  POP3_CA_FILE: z
    .string()
    .refine((path) => existsSync(path), 'expected a readable PEM file')
    .optional(),
  /** Timeout of each phase of Test Journal Extraction (connect, greeting, each command). */
  TEST_EXTRACTION_TIMEOUT_MS: positiveInt(10_000),
  /** Absolute deadline of a whole Test Journal Extraction (it connects wherever an API user points it). */
  TEST_EXTRACTION_DEADLINE_MS: positiveInt(60_000),
  /** Consumer group of the status aggregator (the source of truth for offsets is Redis, not the group). */
  STATUS_CONSUMER_GROUP: z.string().min(1).default(CONSUMER_GROUPS.status),
  /** How often the aggregator checks that Redis still holds its state (rebuilds from the topics if not). */
  STATUS_STATE_CHECK_MS: positiveInt(5_000),
  /** Failed authentications per client address within AUTH_FAILURE_WINDOW_MS before it is refused (429). */
  AUTH_FAILURE_LIMIT: positiveInt(10),
  AUTH_FAILURE_WINDOW_MS: positiveInt(60_000),
  /** How long an address stays refused after crossing the limit. */
  AUTH_FAILURE_BLOCK_MS: positiveInt(300_000),
  /** How often an open gRPC watch re-checks its token (a revoked or expired token ends the watch). */
  TOKEN_RECHECK_MS: positiveInt(2_000),
});
export type StatusConfig = z.infer<typeof statusConfigSchema>;

export function loadStatusConfig(env: Env = process.env): StatusConfig {
  return loadConfig(statusConfigSchema, env);
}
