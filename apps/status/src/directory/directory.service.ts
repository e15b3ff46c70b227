import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { And, In, Like, MoreThan, type DataSource, type EntityManager, type FindOperator } from 'typeorm';
import type { AddressView, DirectoryView, DomainView } from '#contracts';
import { JournalwireError } from '#errors';
import type { Logger } from '#logger';
import { DirectoryAddressEntity, DirectoryAliasEntity, DirectoryDomainEntity, type AuditActor } from '#persistence';
import { DATA_SOURCE, LOGGER, REDIS } from '#platform';
import { AuditService } from '../audit/audit.service.js';
import { DIRECTORY_CHANGED_CHANNEL } from '../status/status.keys.js';
import { decodeCursor, pageOf, type CursorPage } from '../paging/cursor.js';
import type { AddressInput, AddressPatch, DirectoryListQuery, DomainInput } from './directory.schemas.js';

/** Runs inside the directory lock; `changed` tells whether the revision must move. */
export type DirectoryWork<T> = (manager: EntityManager) => Promise<{ result: T; changed: boolean }>;

const CHUNK = 500;

/**
 * Internal domains and known addresses with their aliases. Every write takes the directory
 * lock (the directory_revision row), bumps the revision when something changed, and then
 * announces the new revision on `jw:directory-changed`.
 */
@Injectable()
export class DirectoryService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly audit: AuditService,
  ) {}

  /** Audits a directory change in the transaction that makes it. */
  private audited(
    manager: EntityManager,
    actor: AuditActor,
    action: string,
    targetType: 'domain' | 'address' | 'directory',
    targetId: string | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.audit.record(manager, actor, { action: `directory.${action}`, targetType, targetId, details });
  }

  async get(): Promise<DirectoryView> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => ({
      revision: await this.revision(manager),
      domains: await this.listDomains(manager),
      addresses: await this.listAddresses(manager),
    }));
  }

  async listDomains(manager: EntityManager = this.dataSource.manager): Promise<DomainView[]> {
    return (await manager.getRepository(DirectoryDomainEntity).find({ order: { domain: 'ASC' } })).map(domainView);
  }

  /** Domains in name order after the cursor; `q` a case-insensitive substring. */
  async pageDomains(query: DirectoryListQuery): Promise<CursorPage<DomainView>> {
    const after = query.cursor === undefined ? undefined : nameAfter('domains', query.cursor);
    const rows = await this.dataSource.getRepository(DirectoryDomainEntity).find({
      where: nameWhere('domain', namedAfter(after, query.q)),
      order: { domain: 'ASC' },
      take: query.limit + 1,
    });
    return pageOf('domains', rows.map(domainView), query.limit, (row) => [row.domain]);
  }

  /** Addresses in order after the cursor, with their aliases; `q` matches the address. */
  async pageAddresses(query: DirectoryListQuery): Promise<CursorPage<AddressView>> {
    const after = query.cursor === undefined ? undefined : nameAfter('addresses', query.cursor);
    const manager = this.dataSource.manager;
    const rows = await manager.getRepository(DirectoryAddressEntity).find({
      where: nameWhere('address', namedAfter(after, query.q)),
      order: { address: 'ASC' },
      take: query.limit + 1,
    });
    const owners = rows.map((row) => row.address);
    const aliases =
      owners.length === 0
        ? []
        : await manager
            .getRepository(DirectoryAliasEntity)
            .find({ where: { address: In(owners) }, order: { alias: 'ASC' } });
    const byOwner = new Map<string, string[]>();
    for (const alias of aliases) byOwner.set(alias.address, [...(byOwner.get(alias.address) ?? []), alias.alias]);
    return pageOf(
      'addresses',
      rows.map((row) => addressView(row, byOwner.get(row.address) ?? [])),
      query.limit,
      (row) => [row.address],
    );
  }

  async getDomain(domain: string): Promise<DomainView> {
    return domainView(await this.domainRow(this.dataSource.manager, domain));
  }

  createDomain(input: DomainInput, actor: AuditActor): Promise<DomainView> {
    return this.mutate(async (manager) => {
      const repository = manager.getRepository(DirectoryDomainEntity);
      if (await repository.existsBy({ domain: input.domain }))
        throw new JournalwireError('conflict', `Domain ${input.domain} is already in the directory`);
      await repository.insert({ domain: input.domain, includeSubdomains: input.includeSubdomains });
      await this.audited(manager, actor, 'domain.created', 'domain', input.domain, {
        includeSubdomains: input.includeSubdomains,
      });
      return { result: domainView(await this.domainRow(manager, input.domain)), changed: true };
    });
  }

  updateDomain(domain: string, includeSubdomains: boolean, actor: AuditActor): Promise<DomainView> {
    return this.mutate(async (manager) => {
      const row = await this.domainRow(manager, domain);
      if (row.includeSubdomains === includeSubdomains) return { result: domainView(row), changed: false };
      await manager.getRepository(DirectoryDomainEntity).update({ domain: row.domain }, { includeSubdomains });
      await this.audited(manager, actor, 'domain.updated', 'domain', row.domain, {
        changes: [{ field: 'includeSubdomains', from: row.includeSubdomains, to: includeSubdomains }],
      });
      return { result: domainView({ ...row, includeSubdomains }), changed: true };
    });
  }

  deleteDomain(domain: string, actor: AuditActor): Promise<void> {
    return this.mutate(async (manager) => {
      const row = await this.domainRow(manager, domain);
      await manager.getRepository(DirectoryDomainEntity).delete({ domain: row.domain });
      await this.audited(manager, actor, 'domain.deleted', 'domain', row.domain, {
        includeSubdomains: row.includeSubdomains,
      });
      return { result: undefined, changed: true };
    });
  }

  async listAddresses(manager: EntityManager = this.dataSource.manager): Promise<AddressView[]> {
    const addresses = await manager.getRepository(DirectoryAddressEntity).find({ order: { address: 'ASC' } });
    const aliases = await manager.getRepository(DirectoryAliasEntity).find({ order: { alias: 'ASC' } });
    const byOwner = new Map<string, string[]>();
    for (const alias of aliases) byOwner.set(alias.address, [...(byOwner.get(alias.address) ?? []), alias.alias]);
    return addresses.map((row) => addressView(row, byOwner.get(row.address) ?? []));
  }

  async getAddress(address: string, manager: EntityManager = this.dataSource.manager): Promise<AddressView> {
    const row = await manager
      .getRepository(DirectoryAddressEntity)
      .findOne({ where: { address: address.toLowerCase() } });
    if (!row) throw new JournalwireError('not-found', `Address ${address} is not in the directory`);
    const aliases = await manager
      .getRepository(DirectoryAliasEntity)
      .find({ where: { address: row.address }, order: { alias: 'ASC' } });
    return addressView(
      row,
      aliases.map((alias) => alias.alias),
    );
  }

  createAddress(input: AddressInput, actor: AuditActor): Promise<AddressView> {
    return this.mutate(async (manager) => {
      if (await manager.getRepository(DirectoryAddressEntity).existsBy({ address: input.address })) {
        throw new JournalwireError('conflict', `Address ${input.address} is already in the directory`);
      }
      const owner = await manager.getRepository(DirectoryAliasEntity).findOneBy({ alias: input.address });
      if (owner) throw new JournalwireError('conflict', `${input.address} is already an alias of ${owner.address}`);
      await this.checkAliases(manager, input.address, input.aliases);
      await manager
        .getRepository(DirectoryAddressEntity)
        .insert({ address: input.address, displayName: input.displayName ?? null });
      if (input.aliases.length > 0)
        await manager
          .getRepository(DirectoryAliasEntity)
          .insert(input.aliases.map((alias) => ({ alias, address: input.address })));
      await this.audited(manager, actor, 'address.created', 'address', input.address, {
        displayName: input.displayName ?? null,
        aliases: input.aliases,
      });
      return { result: await this.getAddress(input.address, manager), changed: true };
    });
  }

  updateAddress(address: string, patch: AddressPatch, actor: AuditActor): Promise<AddressView> {
    return this.mutate(async (manager) => {
      const current = await this.getAddress(address, manager);
      let changed = false;
      const changes: Array<{ field: string; from: unknown; to: unknown }> = [];
      if (patch.displayName !== undefined && patch.displayName !== current.displayName) {
        await manager
          .getRepository(DirectoryAddressEntity)
          .update({ address: current.address }, { displayName: patch.displayName });
        changes.push({ field: 'displayName', from: current.displayName, to: patch.displayName });
        changed = true;
      }
      if (patch.aliases && patch.aliases.join('\n') !== current.aliases.join('\n')) {
        await this.checkAliases(manager, current.address, patch.aliases);
        await manager.getRepository(DirectoryAliasEntity).delete({ address: current.address });
        if (patch.aliases.length > 0)
          await manager
            .getRepository(DirectoryAliasEntity)
            .insert(patch.aliases.map((alias) => ({ alias, address: current.address })));
        changes.push({ field: 'aliases', from: current.aliases, to: patch.aliases });
        changed = true;
      }
      if (changed) await this.audited(manager, actor, 'address.updated', 'address', current.address, { changes });
      return { result: await this.getAddress(current.address, manager), changed };
    });
  }

  deleteAddress(address: string, actor: AuditActor): Promise<void> {
    return this.mutate(async (manager) => {
      const current = await this.getAddress(address, manager);
      await manager.getRepository(DirectoryAddressEntity).delete({ address: current.address });
      await this.audited(manager, actor, 'address.deleted', 'address', current.address, {
        displayName: current.displayName,
        aliases: current.aliases,
      });
      return { result: undefined, changed: true };
    });
  }

  /** Runs `work` under the directory lock; bumps and announces the revision if it changed something. */
  async mutate<T>(work: DirectoryWork<T>): Promise<T> {
    const { result, revision } = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT revision FROM directory_revision WHERE id = 1 FOR UPDATE');
      const { result, changed } = await work(manager);
      if (!changed) return { result, revision: null };
      const rows: Array<{ revision: string }> = await manager.query(
        'WITH bumped AS (UPDATE directory_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision) SELECT revision::text AS revision FROM bumped',
      );
      return { result, revision: rows[0]!.revision };
    });
    if (revision !== null) {
      await this.redis
        .publish(DIRECTORY_CHANGED_CHANNEL, JSON.stringify({ revision, at: new Date().toISOString() }))
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not announce the directory change'));
    }
    return result;
  }

  async revision(manager: EntityManager = this.dataSource.manager): Promise<string> {
    const rows: Array<{ revision: string }> = await manager.query(
      'SELECT revision::text AS revision FROM directory_revision WHERE id = 1',
    );
    return rows[0]?.revision ?? '0';
  }

  /** Aliases must not be known addresses, nor aliases of another address. */
  private async checkAliases(manager: EntityManager, owner: string, aliases: string[]): Promise<void> {
    if (aliases.includes(owner))
      throw new JournalwireError('validation', `${owner} cannot be an alias of itself`, {
        details: { fields: [{ field: 'aliases', message: 'must not contain the address itself' }] },
      });
    if (aliases.length === 0) return;
    for (let i = 0; i < aliases.length; i += CHUNK) {
      const chunk = aliases.slice(i, i + CHUNK);
      const primary = await manager.getRepository(DirectoryAddressEntity).findOne({ where: { address: In(chunk) } });
      if (primary)
        throw new JournalwireError('conflict', `${primary.address} is a known address, so it cannot also be an alias`);
      const taken = await manager.getRepository(DirectoryAliasEntity).find({ where: { alias: In(chunk) } });
      const other = taken.find((alias) => alias.address !== owner);
      if (other) throw new JournalwireError('conflict', `${other.alias} is already an alias of ${other.address}`);
    }
  }

  private async domainRow(manager: EntityManager, domain: string): Promise<DirectoryDomainEntity> {
    const row = await manager
      .getRepository(DirectoryDomainEntity)
      .findOne({ where: { domain: domain.toLowerCase().replace(/\.$/, '') } });
    if (!row) throw new JournalwireError('not-found', `Domain ${domain} is not in the directory`);
    return row;
  }
}

function domainView(row: DirectoryDomainEntity): DomainView {
  return { domain: row.domain, includeSubdomains: row.includeSubdomains, createdAt: row.createdAt.toISOString() };
}

function addressView(row: DirectoryAddressEntity, aliases: string[]): AddressView {
  return { address: row.address, displayName: row.displayName, aliases, createdAt: row.createdAt.toISOString() };
}

function nameAfter(list: string, cursor: string): string {
  const [name] = decodeCursor(list, cursor);
  if (typeof name !== 'string')
    throw new JournalwireError(
      'validation',
      'Invalid query: cursor: expected a cursor returned as nextCursor by this list',
      {
        details: { fields: [{ field: 'cursor', message: 'expected a cursor returned as nextCursor by this list' }] },
      },
    );
  return name;
}

/** TypeORM refuses an undefined where value: no condition is an empty where. */
function nameWhere<K extends string>(
  column: K,
  condition: FindOperator<string> | undefined,
): Partial<Record<K, FindOperator<string>>> {
  return condition === undefined ? {} : ({ [column]: condition } as Record<K, FindOperator<string>>);
}

/** Names after `after` (if any) containing `q` (if any), case-insensitively. */
function namedAfter(after: string | undefined, q: string | undefined): FindOperator<string> | undefined {
  const contains = q === undefined ? undefined : `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  if (after !== undefined && contains !== undefined) return And(MoreThan(after), Like(contains));
  if (after !== undefined) return MoreThan(after);
  if (contains !== undefined) return Like(contains);
  return undefined;
}
