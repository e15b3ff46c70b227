import { Controller, Get, Inject, Module, type DynamicModule, type Provider } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { withDeadline } from '#errors';
import { READINESS_CHECKS } from './tokens.js';

/** One dependency an app needs before it is ready (Kafka, Redis, PostgreSQL...). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects with the reason otherwise. */
  check(): Promise<void>;
}

/**
 * Terminus documents health routes by loading @nestjs/swagger when it is installed: about 13 MB of
 * heap in every service, though only the status service serves an OpenAPI document.
 */
const HEALTH_CHECK_OPTIONS = { noCache: true, swaggerDocumentation: false };

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
  ) {}

  /** Liveness: the process answers. */
  @Get('live')
  @HealthCheck(HEALTH_CHECK_OPTIONS)
  live() {
    return this.health.check([]);
  }

  /** Readiness: every connection this app uses answers. */
  @Get('ready')
  @HealthCheck(HEALTH_CHECK_OPTIONS)
  ready() {
    return this.health.check(this.checks.map((dependency) => () => this.probe(dependency)));
  }

  private async probe(dependency: ReadinessCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(dependency.name);
    try {
      await withDeadline(dependency.check(), 3000, () => new Error('no answer within 3000 ms'));
      return session.up();
    } catch (error) {
      return session.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}

@Module({})
export class HealthModule {
  /** `checks` is a provider that yields the app's ReadinessCheck list under READINESS_CHECKS. */
  static register(checks: Provider): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthController],
      providers: [checks],
    };
  }
}
