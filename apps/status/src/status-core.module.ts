import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { FileSystemBlobStore } from '#blob-store';
import { kafkaConnection } from '#config';
import type { Logger } from '#logger';
import { CredentialCipher } from '#persistence';
import { BLOB_STORE, CONFIG, InfrastructureModule, ProtocolLogStore, REDIS } from '#platform';
import { probeMailbox } from '#pop3';
import { AuditService } from './audit/audit.service.js';
import { ApiTokenService } from './auth/api-token.service.js';
import { AuthFailures } from './auth/auth-failures.js';
import type { StatusConfig } from './config.js';
import { ConnectorEventsService } from './connectors/connector-events.service.js';
import { ConnectorsService } from './connectors/connectors.service.js';
import { InFlightCheck } from './connectors/in-flight-check.js';
import { TestExtractionService } from './connectors/test-extraction.service.js';
import { DirectoryImportService } from './directory/directory-import.service.js';
import { DirectoryService } from './directory/directory.service.js';
import { OutcomesService } from './outcomes/outcomes.service.js';
import { CIPHER, PROBE_MAILBOX } from './injection-tokens.js';
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
  InFlightCheck,
  TestExtractionService,
  DirectoryService,
  DirectoryImportService,
  StatusStore,
  StatusService,
  StatusChanges,
  OutcomesService,
  StatusAggregator,
];

/**
 * Connections (the shared InfrastructureModule), the credential cipher and the services, global so
 * the health checks and every controller can use them.
 */
@Module({})
export class StatusCoreModule {
  static register(config: StatusConfig, logger: Logger): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: CIPHER, useValue: new CredentialCipher(config.CREDENTIAL_KEY, config.CREDENTIAL_KEYS_PREVIOUS) },
      { provide: PROBE_MAILBOX, useValue: probeMailbox },
      { provide: BLOB_STORE, useValue: new FileSystemBlobStore(config.BLOB_DIR) },
      ...SERVICES,
      // Detailed logging's protocol log (#18.3).
      { provide: ProtocolLogStore, inject: [REDIS], useFactory: (redis: Redis) => new ProtocolLogStore(redis) },
    ];
    return {
      module: StatusCoreModule,
      global: true,
      imports: [
        InfrastructureModule.register({
          service: 'status',
          logger,
          databaseUrl: config.DATABASE_URL,
          redisUrl: config.REDIS_URL,
          kafka: kafkaConnection(config, `${config.KAFKA_CLIENT_ID}-status`),
        }),
      ],
      providers,
      exports: [CONFIG, CIPHER, PROBE_MAILBOX, BLOB_STORE, ProtocolLogStore, ...SERVICES],
    };
  }
}
