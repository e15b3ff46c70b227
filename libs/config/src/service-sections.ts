import { hostname } from 'node:os';
import { z } from 'zod';
import { kafkaSection } from './kafka-connection.js';
import { blobSection, databaseSection, httpSection, logSection, positiveInt, processorSection } from './sections.js';

/**
 * Everything a consume-produce service (envelope, policy) needs: its HTTP listener, logging,
 * Kafka, PostgreSQL, the blob store and the processor's settings.
 */
export const processorServiceSections = (service: string, defaultHttpPort: number) => ({
  ...httpSection(defaultHttpPort),
  ...logSection,
  ...kafkaSection,
  ...databaseSection,
  ...blobSection,
  ...processorSection,
  /** Stable per instance: names the Kafka transactional id, so a restart fences its predecessor. */
  INSTANCE_ID: z.string().default(`${service}-${hostname()}`),
  /** Records per Kafka transaction. */
  PROCESSOR_CHUNK_SIZE: positiveInt(200),
});

export type ProcessorServiceConfig = z.infer<z.ZodObject<ReturnType<typeof processorServiceSections>>>;
