import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Logger } from '#logger';
import { CONFIG, LOGGER, ProtocolLogStore } from '#platform';
import type { Redis } from 'ioredis';
import { AuditService } from './audit/audit.service.js';
import { ApiTokenService } from './auth/api-token.service.js';
import { AuthFailures } from './auth/auth-failures.js';
import type { StatusConfig } from './config.js';
import { ConnectorEventsService } from './connectors/connector-events.service.js';
import { ConnectorsService } from './connectors/connectors.service.js';
import { TestExtractionService } from './connectors/test-extraction.service.js';
import { DirectoryImportService } from './directory/directory-import.service.js';
import { DirectoryService } from './directory/directory.service.js';
import { OutcomesService } from './outcomes/outcomes.service.js';
import { infrastructureProviders, InfrastructureShutdown } from './platform/infrastructure.js';
import { CIPHER, DATA_SOURCE, KAFKA, PROBE_MAILBOX, REDIS } from './platform/tokens.js';
import { StatusAggregator } from './status/status-aggregator.js';
import { StatusChanges } from './status/status-changes.js';
import { StatusStore } from './status/status-store.js';
import { StatusService } from './status/status.service.js';

const SERVICES = [
  AuthFailures,
  ApiTokenService,
  AuditService,
  ConnectorEventsService,
  ConnectorsService,
  TestExtractionService,
  DirectoryService,
  DirectoryImportService,
  StatusStore,
  StatusService,
  StatusChanges,
  OutcomesService,
  StatusAggregator,
  InfrastructureShutdown,
];

/** Connections and services, global so the health checks and every controller can use them. */
@Module({})
export class StatusCoreModule {
  static register(config: StatusConfig, logger: Logger): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: LOGGER, useValue: logger },
      ...infrastructureProviders,
      ...SERVICES,
      // Detailed logging's protocol log (#18.3).
      { provide: ProtocolLogStore, inject: [REDIS], useFactory: (redis: Redis) => new ProtocolLogStore(redis) },
    ];
    return {
      module: StatusCoreModule,
      global: true,
      providers,
      exports: [CONFIG, LOGGER, DATA_SOURCE, REDIS, KAFKA, CIPHER, PROBE_MAILBOX, ProtocolLogStore, ...SERVICES],
    };
  }
}
