import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, LOGGER, CONFIG, READINESS_CHECKS, type ReadinessCheck } from '#platform';
import type { Logger } from '#logger';
import type { PollerConfig } from './config.js';

@Module({})
export class PollerModule {
  static register(config: PollerConfig, logger: Logger): DynamicModule {
    return {
      module: PollerModule,
      imports: [HealthModule.register({ provide: READINESS_CHECKS, useValue: [] satisfies ReadinessCheck[] })],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}
