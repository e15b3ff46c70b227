import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, LOGGER, CONFIG, READINESS_CHECKS, type ReadinessCheck } from '#platform';
import type { Logger } from '#logger';
import type { PolicyConfig } from './config.js';

@Module({})
export class PolicyModule {
  static register(config: PolicyConfig, logger: Logger): DynamicModule {
    return {
      module: PolicyModule,
      imports: [HealthModule.register({ provide: READINESS_CHECKS, useValue: [] satisfies ReadinessCheck[] })],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
    };
  }
}
