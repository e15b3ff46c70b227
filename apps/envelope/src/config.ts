import { hostname } from 'node:os';
import { z } from 'zod';
import {
  blobSection,
  databaseSection,
  httpSection,
  kafkaSection,
  logSection,
  loadConfig,
  positiveInt,
  processorSection,
  type Env,
} from '#config';

export const envelopeConfigSchema = z.object({
  ...httpSection(3002),
  ...logSection,
  ...kafkaSection,
  ...databaseSection,
  ...blobSection,
  ...processorSection,
  /** Stable per instance: names the Kafka transactional id, so a restart fences its predecessor. */
  INSTANCE_ID: z.string().default(`envelope-${hostname()}`),
  /** How often the directory revision is checked for changes. */
  DIRECTORY_REFRESH_MS: positiveInt(2000),
  /** Records per Kafka transaction. */
  PROCESSOR_CHUNK_SIZE: positiveInt(200),
});
export type EnvelopeConfig = z.infer<typeof envelopeConfigSchema>;

export function loadEnvelopeConfig(env: Env = process.env): EnvelopeConfig {
  return loadConfig(envelopeConfigSchema, env);
}
