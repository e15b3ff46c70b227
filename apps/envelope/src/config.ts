import { z } from 'zod';
import { httpSection, kafkaSection, logSection, loadConfig, type Env } from '#config';

export const envelopeConfigSchema = z.object({
  ...httpSection(3002),
  ...logSection,
  ...kafkaSection,
});
export type EnvelopeConfig = z.infer<typeof envelopeConfigSchema>;

export function loadEnvelopeConfig(env: Env = process.env): EnvelopeConfig {
  return loadConfig(envelopeConfigSchema, env);
}
