import { z } from 'zod';
import { httpSection, kafkaSection, logSection, loadConfig, type Env } from '#config';

export const statusConfigSchema = z.object({
  ...httpSection(3000),
  ...logSection,
  ...kafkaSection,
});
export type StatusConfig = z.infer<typeof statusConfigSchema>;

export function loadStatusConfig(env: Env = process.env): StatusConfig {
  return loadConfig(statusConfigSchema, env);
}
