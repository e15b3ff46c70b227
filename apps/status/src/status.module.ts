import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Logger } from '#logger';
import { HealthModule, MetricsModule, PipelineMetrics, readinessProviderFor } from '#platform';
import { AuditController } from './audit/audit.controller.js';
import { ApiTokenGuard } from './auth/api-token.guard.js';
import type { StatusConfig } from './config.js';
import { ConnectorsController } from './connectors/connectors.controller.js';
import { ProtocolLogController } from './connectors/protocol-log.controller.js';
import { DirectoryController } from './directory/directory.controller.js';
import { StatusGrpcController } from './grpc/status-grpc.controller.js';
import { OutcomesController } from './outcomes/outcomes.controller.js';
import { HttpErrorFilter } from './http/exception.filter.js';
import { StatusAggregator } from './status/status-aggregator.js';
import { StatusController } from './status/status.controller.js';
import { StatusCoreModule } from './status-core.module.js';
import { TokensController } from './tokens/tokens.controller.js';

/** The status app: control plane (REST /v1), status aggregation, gRPC status service. */
@Module({})
export class StatusModule {
  static register(config: StatusConfig, logger: Logger): DynamicModule {
    return {
      module: StatusModule,
      imports: [
        StatusCoreModule.register(config, logger),
        MetricsModule.register(new PipelineMetrics()),
        HealthModule.register(
          readinessProviderFor([StatusAggregator], (aggregator: StatusAggregator) => [
            {
              name: 'status-aggregator',
              check: async () => {
                if (!aggregator.ready) throw new Error('the status consumer has not joined its group yet');
              },
            },
          ]),
        ),
      ],
      controllers: [
        ConnectorsController,
        ProtocolLogController,
        StatusController,
        DirectoryController,
        TokensController,
        AuditController,
        OutcomesController,
        StatusGrpcController,
      ],
      providers: [
        { provide: APP_GUARD, useClass: ApiTokenGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
