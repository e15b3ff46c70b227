import { z } from 'zod';
import { loadConfig, positiveInt, processorServiceSections, type Env } from '#config';

export const envelopeConfigSchema = z.object({
  ...processorServiceSections('envelope', 3002),
  /** How often the directory revision is checked for changes. */
  DIRECTORY_REFRESH_MS: positiveInt(2000),
});
export type EnvelopeConfig = z.infer<typeof envelopeConfigSchema>;

export function loadEnvelopeConfig(env: Env = process.env): EnvelopeConfig {
  return loadConfig(envelopeConfigSchema, env);
}
