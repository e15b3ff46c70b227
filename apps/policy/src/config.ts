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
  retentionSection,
  processorSection,
  type Env,
} from '#config';

export const policyConfigSchema = z.object({
  ...httpSection(3003),
  ...logSection,
  ...kafkaSection,
  ...databaseSection,
  ...blobSection,
  ...retentionSection,
  ...processorSection,
  /** Stable per instance: names the Kafka transactional id, so a restart fences its predecessor. */
  INSTANCE_ID: z.string().default(`policy-${hostname()}`),
  /** Records per Kafka transaction. */
  PROCESSOR_CHUNK_SIZE: positiveInt(200),
});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export function loadPolicyConfig(env: Env = process.env): PolicyConfig {
  return loadConfig(policyConfigSchema, env);
}
