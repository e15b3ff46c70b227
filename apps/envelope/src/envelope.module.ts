import { Module, type DynamicModule } from '@nestjs/common';
import { CONSUMER_GROUPS, TOPICS } from '#contracts';
import type { Logger } from '#logger';
import { ProcessorModule } from '#platform';
import { ClassifyProcessor } from './classify-processor.js';
import type { EnvelopeConfig } from './config.js';
import { DirectoryCache } from './directory-cache.js';

/** journal.raw.v2 → ClassifyProcessor → journal.classified.v2, with the directory it classifies by. */
@Module({})
export class EnvelopeModule {
  static register(config: EnvelopeConfig, logger: Logger): DynamicModule {
    return ProcessorModule.register(EnvelopeModule, {
      service: 'envelope',
      config,
      logger,
      groupId: CONSUMER_GROUPS.envelope,
      topics: [TOPICS.raw],
      outputs: [TOPICS.classified, TOPICS.dlq],
      handler: ClassifyProcessor,
      providers: [DirectoryCache],
    });
  }
}
