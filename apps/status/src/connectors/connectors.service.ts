import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ILike, type DataSource, type EntityManager } from 'typeorm';
import type { ConnectorListItem, ConnectorView } from '#contracts';
import { JournalwireError } from '#errors';
import type { Logger } from '#logger';
import { ConnectorEntity, defaultPortOf, type AuditActor, type CredentialCipher } from '#persistence';
import { DATA_SOURCE, LOGGER, ProtocolLogStore } from '#platform';
import { AuditService } from '../audit/audit.service.js';
import { CIPHER } from '../injection-tokens.js';
import { StatusStore } from '../status/status-store.js';
import { connectorNotFound, isUuid, StatusService } from '../status/status.service.js';
import { ConnectorEventsService, type ConnectorAction, type FieldChange } from './connector-events.service.js';
import type { CursorPage } from '../paging/cursor.js';
import { InFlightCheck } from './in-flight-check.js';
import { listPage, type ConnectorListQuery } from './connector-listing.js';
import type { CreateConnectorInput, UpdateConnectorInput } from './connector.schemas.js';
import { ENTITY_PROPERTY, toConnectorView, type ApiField } from './connector.view.js';
import { assertPasswordForDestinationChange, changedDestinationFields } from './credential-rule.js';

/** Fields whose values the event log does not keep (only that they changed). */
const VALUE_HIDDEN: ReadonlySet<string> = new Set(['password', 'caCertificate']);

/** Journal service definitions: CRUD, suspension, and the event log of every change. */
@Injectable()
export class ConnectorsService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(CIPHER) private readonly cipher: CredentialCipher,
    private readonly events: ConnectorEventsService,
    private readonly statusStore: StatusStore,
    private readonly status: StatusService,
    private readonly protocolLog: ProtocolLogStore,
    private readonly audit: AuditService,
    private readonly inFlight: InFlightCheck,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(input: CreateConnectorInput, actor: AuditActor): Promise<ConnectorView> {
    const saved = await this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ConnectorEntity);
      // The id is chosen here because the sealed password is bound to it.
      const id = randomUUID();
      const entity = repository.create({
        id,
        description: input.description,
        transportType: input.transportType,
        serviceEmailAddress: input.serviceEmailAddress,
        mailboxName: input.mailboxName,
        passwordCiphertext: this.cipher.encrypt(input.password, id),
        host: input.host,
        encrypted: input.encrypted,
        tlsTransport: input.tlsTransport,
        encryptionMode: input.encryptionMode,
        minTlsVersion: input.minTlsVersion,
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
      await this.events.record(manager, row.id, actor.name, 'created', { changes });
      await this.audit.record(manager, actor, connectorAudit(row.id, 'created', { changes }));
      return row;
    });
    await this.status.publishQuietly([saved.id]);
    return toConnectorView(saved);
  }

  /**
   * Definitions with their status: the text search (description, mailbox name, service address,
   * host; case-insensitive substring) in SQL, the status filter, sort and page on the joined rows.
   */
  async list(query: ConnectorListQuery): Promise<CursorPage<ConnectorListItem>> {
    const repository = this.dataSource.getRepository(ConnectorEntity);
    const pattern = query.q === undefined ? null : ILike(`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    const rows = await repository.find({
      where: pattern
        ? [{ description: pattern }, { mailboxName: pattern }, { serviceEmailAddress: pattern }, { host: pattern }]
        : {},
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    const statuses = await this.status.of(rows);
    return listPage(
      rows.map((row, index) => ({ ...toConnectorView(row), status: statuses[index]! })),
      query,
    );
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

  /**
   * Applies a patch under a row lock and logs what changed (nothing changed: no event). A patch
   * that changes where or how the password is sent must carry the password (credential-rule.ts).
   */
  async update(id: string, patch: UpdateConnectorInput, actor: AuditActor): Promise<ConnectorView> {
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
      assertPasswordForDestinationChange(changedDestinationFields(before, current), patch.password);
      if (patch.password !== undefined && !this.sealsPassword(current, patch.password)) {
        current.passwordCiphertext = this.cipher.encrypt(patch.password, current.id);
        changes.push({ field: 'password', changed: true });
      }
      if (changes.length === 0) return { row: current, changes, suspendedNow: false };
      const row = await repository.save(current);
      const suspendedNow = !before.suspended && row.suspended;
      const action = actionOf(changes);
      await this.events.record(manager, row.id, actor.name, action, { changes });
      await this.audit.record(manager, actor, connectorAudit(row.id, action, { changes }));
      return { row, changes, suspendedNow };
    });
    if (suspendedNow)
      await this.statusStore.resetErrors(row.id, new Date(Math.max(Date.now(), row.updatedAt.getTime())));
    if (changes.length > 0) await this.status.publishQuietly([row.id]);
    return toConnectorView(row);
  }

  private sealsPassword(connector: ConnectorEntity, password: string): boolean {
    try {
      return this.cipher.decrypt(connector.passwordCiphertext, connector.id) === password;
    } catch {
      return false; // sealed with a key no longer configured: the new password replaces it
    }
  }

  setSuspended(id: string, suspended: boolean, actor: AuditActor): Promise<ConnectorView> {
    return this.update(id, { suspended }, actor);
  }

  /**
   * Deletes a definition unless mail it extracted may still be on its way (409, naming why): the
   * policy needs the definition to decide it. `force` deletes anyway (logged and audited).
   */
  async delete(id: string, actor: AuditActor, force = false): Promise<void> {
    const { processingQueue } = await this.status.get(id);
    const reasons = await this.inFlight.reasons(id, processingQueue);
    const why = reasons.map((reason) => reason.message).join('; ');
    if (reasons.length > 0 && !force)
      throw new JournalwireError(
        'conflict',
        `Connector ${id} still has mail in flight: ${why}. Suspend it and wait until its messages reach an outcome, or delete with ?force=true (logged and audited)`,
        { details: { processingQueue, inFlight: reasons.map((reason) => reason.code) } },
      );
    await this.dataSource.transaction(async (manager) => {
      const row = isUuid(id)
        ? await manager.getRepository(ConnectorEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } })
        : null;
      if (!row) throw connectorNotFound(id);
      await manager.getRepository(ConnectorEntity).delete({ id });
      const details = {
        description: row.description,
        serviceEmailAddress: row.serviceEmailAddress,
        ...(force ? { force: true, processingQueue, inFlight: reasons.map((reason) => reason.code) } : {}),
      };
      await this.events.record(manager, id, actor.name, 'deleted', details);
      await this.audit.record(manager, actor, connectorAudit(id, 'deleted', details));
    });
    if (force && reasons.length > 0)
      this.logger.warn(
        { connectorId: id, processingQueue, inFlight: reasons.map((reason) => reason.code), actor: actor.name },
        `connector ${id} deleted with force while it had mail in flight: ${why}`,
      );
    await this.statusStore.forget(id);
    await this.protocolLog.clear(id);
  }
}

function connectorAudit(connectorId: string, action: ConnectorAction, details: Record<string, unknown>) {
  return { action: `connector.${action}`, targetType: 'connector', targetId: connectorId, connectorId, details };
}

function actionOf(changes: FieldChange[]): ConnectorAction {
  if (changes.length === 1 && changes[0]!.field === 'suspended' && 'to' in changes[0]!)
    return changes[0].to ? 'suspended' : 'resumed';
  return 'updated';
}
