import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, LOGGER, CONFIG, READINESS_CHECKS, type ReadinessCheck } from '#platform';
import type { Logger } from '#logger';
import type { EnvelopeConfig } from './config.js';

@Module({})
export class EnvelopeModule {
  static register(config: EnvelopeConfig, logger: Logger): DynamicModule {
    return {
      module: EnvelopeModule,
      imports: [HealthModule.register({ provide: READINESS_CHECKS, useValue: [] satisfies ReadinessCheck[] })],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}
