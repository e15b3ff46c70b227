import { z } from 'zod';
import { httpSection, kafkaSection, logSection, loadConfig, type Env } from '#config';

export const policyConfigSchema = z.object({
  ...httpSection(3003),
  ...logSection,
  ...kafkaSection,
});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export function loadPolicyConfig(env: Env = process.env): PolicyConfig {
  return loadConfig(policyConfigSchema, env);
}
