import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { ConnectorEventView } from '#contracts';
import { ConnectorEventEntity } from '#persistence';
import { DATA_SOURCE } from '#platform';
import { newestFirst, type LogPage, type LogPaging } from '../paging/newest-first.js';

export type ConnectorAction = 'created' | 'updated' | 'suspended' | 'resumed' | 'deleted' | 'test-extraction';

/** One changed field. Secret (password) and bulky (CA certificate) values are never recorded. */
export type FieldChange = { field: string; from: unknown; to: unknown } | { field: string; changed: true };

export type EventsPage = LogPage<ConnectorEventView>;

/** The per-connector event log (connector_events). */
@Injectable()
export class ConnectorEventsService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  async record(
    manager: EntityManager | undefined,
    connectorId: string,
    actor: string,
    action: ConnectorAction,
    details: Record<string, unknown>,
  ): Promise<void> {
    const repository = (manager ?? this.dataSource.manager).getRepository(ConnectorEventEntity);
    await repository.save(repository.create({ connectorId, actor, action, details }), { reload: false });
  }

  /** Whether the connector (existing or deleted) has any event. */
  async exist(connectorId: string): Promise<boolean> {
    return this.dataSource.getRepository(ConnectorEventEntity).existsBy({ connectorId });
  }

  /** Newest first (offset or cursor paging, see newestFirst). */
  page(connectorId: string, paging: LogPaging): Promise<EventsPage> {
    return newestFirst(
      this.dataSource.getRepository(ConnectorEventEntity),
      { connectorId },
      paging,
      'events',
      (row) => ({
        id: String(row.id),
        at: row.at.toISOString(),
        actor: row.actor,
        action: row.action,
        details: row.details,
      }),
    );
  }
}
