import { z } from 'zod';
import { httpSection, kafkaSection, logSection, loadConfig, type Env } from '#config';

export const pollerConfigSchema = z.object({
  ...httpSection(3001),
  ...logSection,
  ...kafkaSection,
});
export type PollerConfig = z.infer<typeof pollerConfigSchema>;

export function loadPollerConfig(env: Env = process.env): PollerConfig {
  return loadConfig(pollerConfigSchema, env);
}
