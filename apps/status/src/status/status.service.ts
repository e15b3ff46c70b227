import { Inject, Injectable } from '@nestjs/common';
import { In, type DataSource } from 'typeorm';
import type { ConnectorStatusView } from '#contracts';
import { JournalwireError } from '#errors';
import type { Logger } from '#logger';
import { ConnectorEntity } from '#persistence';
import { DATA_SOURCE, LOGGER } from '#platform';
import { StatusStore } from './status-store.js';
import { deriveStatus } from './status-view.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function connectorNotFound(id: string): JournalwireError {
  return new JournalwireError('not-found', `No journal service definition (connector) with id ${id}`, {
    details: { id },
  });
}

type ConnectorRef = Pick<ConnectorEntity, 'id' | 'suspended' | 'updatedAt' | 'minTlsVersion' | 'encrypted'>;
const REF_COLUMNS = { id: true, suspended: true, updatedAt: true, minTlsVersion: true, encrypted: true } as const;

/** Status per connector: the definition (PostgreSQL) joined with the aggregated state (Redis). */
@Injectable()
export class StatusService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly store: StatusStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async get(connectorId: string): Promise<ConnectorStatusView> {
    const connector = isUuid(connectorId)
      ? await this.connectors().findOne({ where: { id: connectorId }, select: REF_COLUMNS })
      : null;
    if (!connector) throw connectorNotFound(connectorId);
    return (await this.of([connector]))[0]!;
  }

  /** Every connector's status, or the listed ones (unknown ids are a not-found error). */
  async list(connectorIds: string[] = []): Promise<ConnectorStatusView[]> {
    if (connectorIds.length === 0) {
      return this.of(await this.connectors().find({ select: REF_COLUMNS, order: { createdAt: 'ASC', id: 'ASC' } }));
    }
    const found = await this.find(connectorIds);
    const missing = connectorIds.find((id) => !found.some((connector) => connector.id === id));
    if (missing) throw connectorNotFound(missing);
    return this.of(found);
  }

  async of(connectors: ConnectorRef[]): Promise<ConnectorStatusView[]> {
    const states = await this.store.read(connectors.map((connector) => connector.id));
    return connectors.map((connector) => deriveStatus(connector, states.get(connector.id)!));
  }

  /** Publishes the current status of these connectors (ids without a definition are skipped). */
  async publishChanges(connectorIds: Iterable<string>): Promise<void> {
    const connectors = await this.find([...new Set(connectorIds)]);
    for (const status of await this.of(connectors)) await this.store.publish(status);
  }

  /** Like publishChanges, but a failure is only logged (the change itself already happened). */
  async publishQuietly(connectorIds: Iterable<string>): Promise<void> {
    await this.publishChanges(connectorIds).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'could not publish a status change'),
    );
  }

  private async find(ids: string[]): Promise<ConnectorRef[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return this.connectors().find({ where: { id: In(valid) }, select: REF_COLUMNS });
  }

  private connectors() {
    return this.dataSource.getRepository(ConnectorEntity);
  }
}
