import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ConnectorEntity, defaultPortOf, type CredentialCipher } from '#persistence';
import { CIPHER, DATA_SOURCE } from '../platform/tokens.js';
import { StatusStore } from '../status/status-store.js';
import { connectorNotFound, isUuid, StatusService } from '../status/status.service.js';
import { ConnectorEventsService, type ConnectorAction, type FieldChange } from './connector-events.service.js';
import type { CreateConnectorInput, UpdateConnectorInput } from './connector.schemas.js';
import { ENTITY_PROPERTY, toConnectorView, type ApiField, type ConnectorView } from './connector.view.js';

/** Fields whose values the event log does not keep (only that they changed). */
const VALUE_HIDDEN: ReadonlySet<string> = new Set(['password', 'caCertificate']);

/** Journal service definitions: CRUD, suspension, and the event log of every change. */
@Injectable()
export class ConnectorsService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(CIPHER) private readonly cipher: CredentialCipher,
    @Inject(ConnectorEventsService) private readonly events: ConnectorEventsService,
    @Inject(StatusStore) private readonly statusStore: StatusStore,
    @Inject(StatusService) private readonly status: StatusService,
  ) {}

  async create(input: CreateConnectorInput, actor: string): Promise<ConnectorView> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ConnectorEntity);
      const entity = repository.create({
        description: input.description,
        transportType: input.transportType,
        serviceEmailAddress: input.serviceEmailAddress,
        mailboxName: input.mailboxName,
        passwordCiphertext: this.cipher.encrypt(input.password),
        host: input.host,
        encrypted: input.encrypted,
        tlsTransport: input.tlsTransport,
        encryptionMode: input.encryptionMode,
        port: input.port ?? defaultPortOf({ encrypted: input.encrypted, tlsTransport: input.tlsTransport }),
        caCertificate: input.caCertificate ?? null,
        journalType: input.journalType,
        removeJournalHeaders: input.removeJournalHeaders,
        detailedLogging: input.detailedLogging,
        journalNonInternal: input.journalNonInternalAddresses,
        journalUnknownInternal: input.journalUnknownInternalAddresses,
        suspended: input.suspended,
        allowEmptyDirectory: input.allowEmptyDirectory,
        pollIntervalSeconds: input.pollIntervalSeconds,
        maxMessagesPerSession: input.maxMessagesPerSession,
      });
      const row = await repository.save(entity);
      const changes: FieldChange[] = (Object.keys(ENTITY_PROPERTY) as ApiField[]).map((field) =>
        VALUE_HIDDEN.has(field)
          ? { field, changed: true as const }
          : { field, from: null, to: row[ENTITY_PROPERTY[field]] },
      );
      changes.push({ field: 'password', changed: true });
      await this.events.record(manager, row.id, actor, 'created', { changes });
      return row;
    });
    await this.status.publishQuietly([saved.id]);
    return toConnectorView(saved);
  }

  async list(): Promise<ConnectorView[]> {
    const rows = await this.dataSource.getRepository(ConnectorEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toConnectorView);
  }

  async get(id: string): Promise<ConnectorView> {
    return toConnectorView(await this.entity(id));
  }

  /** The definition with its sealed password, for the probe. */
  async entity(id: string, manager?: EntityManager): Promise<ConnectorEntity> {
    const row = isUuid(id)
      ? await (manager ?? this.dataSource.manager).getRepository(ConnectorEntity).findOne({ where: { id } })
      : null;
    if (!row) throw connectorNotFound(id);
    return row;
  }

  /** Applies a patch under a row lock and logs what changed (nothing changed: no event). */
  async update(id: string, patch: UpdateConnectorInput, actor: string): Promise<ConnectorView> {
    const { row, changes, suspendedNow } = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ConnectorEntity);
      const current = isUuid(id)
        ? await repository.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!current) throw connectorNotFound(id);
      const before = { ...current };
      const changes: FieldChange[] = [];
      for (const field of Object.keys(ENTITY_PROPERTY) as ApiField[]) {
        const value = patch[field];
        const property = ENTITY_PROPERTY[field];
        if (value === undefined || value === current[property]) continue;
        changes.push(
          VALUE_HIDDEN.has(field) ? { field, changed: true } : { field, from: current[property], to: value },
        );
        Object.assign(current, { [property]: value });
      }
      // A port left at the old transport's default follows the new transport's default.
      if (
        patch.port === undefined &&
        current.port === defaultPortOf(before) &&
        defaultPortOf(current) !== defaultPortOf(before)
      ) {
        changes.push({ field: 'port', from: current.port, to: defaultPortOf(current) });
        current.port = defaultPortOf(current);
      }
      if (patch.password !== undefined && !this.sealsPassword(current.passwordCiphertext, patch.password)) {
        current.passwordCiphertext = this.cipher.encrypt(patch.password);
        changes.push({ field: 'password', changed: true });
      }
      if (changes.length === 0) return { row: current, changes, suspendedNow: false };
      const row = await repository.save(current);
      const suspendedNow = !before.suspended && row.suspended;
      await this.events.record(manager, row.id, actor, actionOf(changes), { changes });
      return { row, changes, suspendedNow };
    });
    if (suspendedNow)
      await this.statusStore.resetErrors(row.id, new Date(Math.max(Date.now(), row.updatedAt.getTime())));
    if (changes.length > 0) await this.status.publishQuietly([row.id]);
    return toConnectorView(row);
  }

  private sealsPassword(sealed: string, password: string): boolean {
    try {
      return this.cipher.decrypt(sealed) === password;
    } catch {
      return false; // sealed with a key no longer configured: the new password replaces it
    }
  }

  setSuspended(id: string, suspended: boolean, actor: string): Promise<ConnectorView> {
    return this.update(id, { suspended }, actor);
  }

  async delete(id: string, actor: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const row = isUuid(id)
        ? await manager.getRepository(ConnectorEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!row) throw connectorNotFound(id);
      await manager.getRepository(ConnectorEntity).delete({ id });
      await this.events.record(manager, id, actor, 'deleted', {
        description: row.description,
        serviceEmailAddress: row.serviceEmailAddress,
      });
    });
    await this.statusStore.forget(id);
  }
}

function actionOf(changes: FieldChange[]): ConnectorAction {
  if (changes.length === 1 && changes[0]!.field === 'suspended' && 'to' in changes[0]!)
    return changes[0].to ? 'suspended' : 'resumed';
  return 'updated';
}
