import type { DataSource } from 'typeorm';
import { JournalwireError } from '#errors';
import { ConnectorEntity } from './entities/connector.entity.js';

/**
 * Connector definitions as the pipeline services read them: cached briefly so a busy consumer
 * does not query per record, fresh enough that a changed filter applies within seconds.
 */
export class ConnectorSettingsCache {
  private readonly entries = new Map<string, { connector: ConnectorEntity | null; expiresAt: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlMs = 5000,
  ) {}

  async get(connectorId: string): Promise<ConnectorEntity | null> {
    const cached = this.entries.get(connectorId);
    if (cached && cached.expiresAt > Date.now()) return cached.connector;
    let connector: ConnectorEntity | null;
    try {
      connector = /^[0-9a-f-]{36}$/i.test(connectorId)
        ? await this.dataSource.getRepository(ConnectorEntity).findOneBy({ id: connectorId })
        : null;
    } catch (error) {
      throw new JournalwireError(
        'internal',
        `Could not read connector ${connectorId}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: true },
      );
    }
    this.entries.set(connectorId, { connector, expiresAt: Date.now() + this.ttlMs });
    return connector;
  }
}
