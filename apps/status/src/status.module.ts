import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, LOGGER, CONFIG, READINESS_CHECKS, type ReadinessCheck } from '#platform';
import type { Logger } from '#logger';
import type { StatusConfig } from './config.js';

@Module({})
export class StatusModule {
  static register(config: StatusConfig, logger: Logger): DynamicModule {
    return {
      module: StatusModule,
      imports: [HealthModule.register({ provide: READINESS_CHECKS, useValue: [] satisfies ReadinessCheck[] })],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}
