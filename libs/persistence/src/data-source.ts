import { DataSource } from 'typeorm';
import { ApiTokenEntity } from './entities/api-token.entity.js';
import { AuditLogEntity } from './entities/audit-log.entity.js';
import { ConnectorEventEntity } from './entities/connector-event.entity.js';
import { ConnectorEntity } from './entities/connector.entity.js';
import {
  DirectoryAddressEntity,
  DirectoryAliasEntity,
  DirectoryDomainEntity,
  DirectoryRevisionEntity,
} from './entities/directory.entity.js';
import { ExtractionLedgerEntity, RetrievalFailureEntity } from './entities/extraction-ledger.entity.js';
import { ArchiveKeyEntity, RawOutcomeEntity } from './entities/outcome.entity.js';
import { InitialSchema1764270000000 } from './migrations/1764270000000-initial-schema.js';
import { OutcomeSources1764280000000 } from './migrations/1764280000000-outcome-sources.js';
import { ConnectorAllowEmptyDirectory1765100000000 } from './migrations/1765100000000-connector-allow-empty-directory.js';
import { LedgerScope1765200000000 } from './migrations/1765200000000-ledger-scope.js';
import { ConnectorMinTlsVersion1765200000001 } from './migrations/1765200000001-connector-min-tls-version.js';
import { RetrievalFailureScope1765200000002 } from './migrations/1765200000002-retrieval-failure-scope.js';
import { TokenScopesAndAuditLog1765300000000 } from './migrations/1765300000000-token-scopes-and-audit-log.js';
import { Retention1765400000000 } from './migrations/1765400000000-retention.js';
import { MessageOutcomes1766100000000 } from './migrations/1766100000000-message-outcomes.js';
import { ProcessingMarks1766900000000 } from './migrations/1766900000000-processing-marks.js';

export const ENTITIES = [
  ConnectorEntity,
  ConnectorEventEntity,
  DirectoryDomainEntity,
  DirectoryAddressEntity,
  DirectoryAliasEntity,
  DirectoryRevisionEntity,
  ApiTokenEntity,
  AuditLogEntity,
  ExtractionLedgerEntity,
  RetrievalFailureEntity,
  RawOutcomeEntity,
  ArchiveKeyEntity,
];

export const MIGRATIONS = [
  InitialSchema1764270000000,
  OutcomeSources1764280000000,
  ConnectorAllowEmptyDirectory1765100000000,
  LedgerScope1765200000000,
  ConnectorMinTlsVersion1765200000001,
  RetrievalFailureScope1765200000002,
  TokenScopesAndAuditLog1765300000000,
  Retention1765400000000,
  MessageOutcomes1766100000000,
  ProcessingMarks1766900000000,
];

/** The one way to reach PostgreSQL. The schema comes from migrations only (synchronize off). */
export function createDataSource(url: string, options: { poolSize?: number } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5000 },
  });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}
