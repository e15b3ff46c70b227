import { z } from 'zod';
import { loadConfig, processorServiceSections, retentionSection, type Env } from '#config';

export const policyConfigSchema = z.object({
  ...processorServiceSections('policy', 3003),
  ...retentionSection,
});
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export function loadPolicyConfig(env: Env = process.env): PolicyConfig {
  return loadConfig(policyConfigSchema, env);
}
