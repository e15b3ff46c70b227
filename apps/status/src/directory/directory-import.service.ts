import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import type { DirectoryImportResult, ImportCounts } from '#contracts';
import { JournalwireError } from '#errors';
import { DirectoryAddressEntity, DirectoryAliasEntity, DirectoryDomainEntity, type AuditActor } from '#persistence';
import { AuditService } from '../audit/audit.service.js';
import { fieldProblems } from '../http/validation.js';
import {
  addressInputSchema,
  domainInputSchema,
  type AddressInput,
  type DomainInput,
  type ImportMode,
} from './directory.schemas.js';
import { DirectoryService } from './directory.service.js';
import type { ImportRow, RowError } from './import-rows.js';

const CHUNK = 500;
const counts = (): ImportCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0 });

/**
 * Bulk import. `merge` upserts the valid rows and reports the invalid ones; `replace` makes the
 * directory exactly the import and is all-or-nothing (any row error: 400, nothing changed).
 * An address row is authoritative for that address: its aliases and display name replace the
 * stored ones.
 */
@Injectable()
export class DirectoryImportService {
  constructor(
    private readonly directory: DirectoryService,
    private readonly audit: AuditService,
  ) {}

  async run(
    rows: ImportRow[],
    mode: ImportMode,
    parseErrors: RowError[],
    actor: AuditActor,
  ): Promise<DirectoryImportResult> {
    const errors = [...parseErrors];
    const domains = new Map<string, { row: string; input: DomainInput }>();
    const addresses = new Map<string, { row: string; input: AddressInput }>();
    for (const row of rows) {
      const parsed = (row.kind === 'domain' ? domainInputSchema : addressInputSchema).safeParse(row.value);
      if (!parsed.success) {
        errors.push({
          row: row.row,
          value: describe(row.value),
          message: fieldProblems(parsed.error)
            .map((p) => `${p.field}: ${p.message}`)
            .join('; '),
        });
        continue;
      }
      if (row.kind === 'domain') {
        const input = parsed.data as DomainInput;
        const earlier = domains.get(input.domain);
        if (earlier) errors.push({ row: row.row, value: input.domain, message: `duplicate of ${earlier.row}` });
        else domains.set(input.domain, { row: row.row, input });
      } else {
        const input = parsed.data as AddressInput;
        const earlier = addresses.get(input.address);
        if (earlier) errors.push({ row: row.row, value: input.address, message: `duplicate of ${earlier.row}` });
        else addresses.set(input.address, { row: row.row, input });
      }
    }
    if (mode === 'replace' && errors.length > 0)
      throw rowErrors(errors, 'Nothing imported: a replace import must be free of errors');

    const outcome = await this.directory.mutate(async (manager) => {
      const result = { domains: counts(), addresses: counts() };
      await this.importDomains(manager, mode, [...domains.values()], result.domains);
      await this.importAddresses(manager, mode, [...addresses.values()], result.addresses, errors);
      if (mode === 'replace' && errors.length > 0)
        throw rowErrors(errors, 'Nothing imported: a replace import must be free of errors');
      const changed = [result.domains, result.addresses].some((c) => c.created + c.updated + c.deleted > 0);
      if (changed)
        await this.audit.record(manager, actor, {
          action: 'directory.imported',
          targetType: 'directory',
          details: { mode, ...result, rowErrors: errors.length },
        });
      return { result, changed };
    });
    return { revision: await this.directory.revision(), mode, ...outcome, errors };
  }

  private async importDomains(
    manager: EntityManager,
    mode: ImportMode,
    rows: Array<{ input: DomainInput }>,
    count: ImportCounts,
  ): Promise<void> {
    const repository = manager.getRepository(DirectoryDomainEntity);
    const existing = new Map((await repository.find()).map((row) => [row.domain, row]));
    const wanted = new Set(rows.map(({ input }) => input.domain));
    if (mode === 'replace') {
      const stale = [...existing.keys()].filter((domain) => !wanted.has(domain));
      for (let i = 0; i < stale.length; i += CHUNK) await repository.delete({ domain: In(stale.slice(i, i + CHUNK)) });
      count.deleted = stale.length;
    }
    const inserts: Array<Pick<DirectoryDomainEntity, 'domain' | 'includeSubdomains'>> = [];
    for (const { input } of rows) {
      const current = existing.get(input.domain);
      if (!current) inserts.push({ domain: input.domain, includeSubdomains: input.includeSubdomains });
      else if (current.includeSubdomains !== input.includeSubdomains) {
        await repository.update({ domain: input.domain }, { includeSubdomains: input.includeSubdomains });
        count.updated++;
      } else count.unchanged++;
    }
    for (let i = 0; i < inserts.length; i += CHUNK) await repository.insert(inserts.slice(i, i + CHUNK));
    count.created = inserts.length;
  }

  private async importAddresses(
    manager: EntityManager,
    mode: ImportMode,
    rows: Array<{ row: string; input: AddressInput }>,
    count: ImportCounts,
    errors: RowError[],
  ): Promise<void> {
    const addressRepository = manager.getRepository(DirectoryAddressEntity);
    const aliasRepository = manager.getRepository(DirectoryAliasEntity);
    const existing = new Map((await addressRepository.find()).map((row) => [row.address, row]));
    const aliasOwner = new Map((await aliasRepository.find()).map((row) => [row.alias, row.address]));
    const aliasesOf = new Map<string, string[]>();
    for (const [alias, owner] of aliasOwner) aliasesOf.set(owner, [...(aliasesOf.get(owner) ?? []), alias].sort());
    const imported = new Set(rows.map(({ input }) => input.address));

    if (mode === 'replace') {
      const stale = [...existing.keys()].filter((address) => !imported.has(address));
      for (let i = 0; i < stale.length; i += CHUNK)
        await addressRepository.delete({ address: In(stale.slice(i, i + CHUNK)) });
      for (const address of stale) {
        existing.delete(address);
        for (const alias of aliasesOf.get(address) ?? []) aliasOwner.delete(alias);
        aliasesOf.delete(address);
      }
      count.deleted = stale.length;
    }

    const inserts: Array<Pick<DirectoryAddressEntity, 'address' | 'displayName'>> = [];
    const replacedAliases: string[] = [];
    const newAliases: Array<Pick<DirectoryAliasEntity, 'alias' | 'address'>> = [];
    for (const { row, input } of rows) {
      const problem = this.aliasProblem(input, existing, imported, aliasOwner);
      if (problem) {
        errors.push({ row, value: input.address, message: problem });
        continue;
      }
      const current = existing.get(input.address);
      const displayName = input.displayName ?? null;
      const aliasesChanged = (aliasesOf.get(input.address) ?? []).join('\n') !== input.aliases.join('\n');
      if (!current) {
        inserts.push({ address: input.address, displayName });
        count.created++;
      } else if (current.displayName !== displayName || aliasesChanged) {
        if (current.displayName !== displayName)
          await addressRepository.update({ address: input.address }, { displayName });
        count.updated++;
      } else {
        count.unchanged++;
        continue;
      }
      if (aliasesChanged || !current) {
        if (current) replacedAliases.push(input.address);
        for (const alias of aliasesOf.get(input.address) ?? []) aliasOwner.delete(alias);
        for (const alias of input.aliases) {
          aliasOwner.set(alias, input.address);
          newAliases.push({ alias, address: input.address });
        }
        aliasesOf.set(input.address, input.aliases);
      }
      existing.set(input.address, { address: input.address, displayName } as DirectoryAddressEntity);
    }
    for (let i = 0; i < inserts.length; i += CHUNK) await addressRepository.insert(inserts.slice(i, i + CHUNK));
    for (let i = 0; i < replacedAliases.length; i += CHUNK)
      await aliasRepository.delete({ address: In(replacedAliases.slice(i, i + CHUNK)) });
    for (let i = 0; i < newAliases.length; i += CHUNK) await aliasRepository.insert(newAliases.slice(i, i + CHUNK));
  }

  private aliasProblem(
    input: AddressInput,
    existing: Map<string, unknown>,
    imported: Set<string>,
    aliasOwner: Map<string, string>,
  ): string | null {
    const ownerOfAddress = aliasOwner.get(input.address);
    if (ownerOfAddress && ownerOfAddress !== input.address)
      return `${input.address} is already an alias of ${ownerOfAddress}`;
    for (const alias of input.aliases) {
      if (alias === input.address) return `${alias} cannot be an alias of itself`;
      if (existing.has(alias) || imported.has(alias)) return `alias ${alias} is a known address`;
      const owner = aliasOwner.get(alias);
      if (owner && owner !== input.address) return `alias ${alias} already belongs to ${owner}`;
    }
    return null;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function rowErrors(errors: RowError[], message: string): JournalwireError {
  return new JournalwireError('validation', `${message} (${errors.length} row error(s))`, {
    details: { fields: errors.map((error) => ({ field: error.row, message: `${error.value}: ${error.message}` })) },
  });
}
