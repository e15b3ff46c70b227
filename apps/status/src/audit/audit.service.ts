import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import { appendAudit, AuditLogEntity, type AuditActor, type AuditEntry } from '#persistence';
import { DATA_SOURCE } from '../platform/tokens.js';

export interface AuditEventView {
  id: string;
  at: string;
  actor: { tokenId: string | null; name: string; address: string | null };
  action: string;
  target: { type: string; id: string | null };
  connectorId: string | null;
  details: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditEventView[];
  page: number;
  pageSize: number;
  total: number;
}

export interface AuditFilter {
  connectorId?: string | undefined;
  action?: string | undefined;
  page: number;
  pageSize: number;
}

/** The audit log of every API mutation (audit_log); rows outlive what they name. */
@Injectable()
export class AuditService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Records in the caller's transaction, so a change and its audit row commit together. */
  record(manager: EntityManager | undefined, actor: AuditActor, entry: AuditEntry): Promise<void> {
    return appendAudit(manager ?? this.dataSource.manager, actor, entry);
  }

  /** Newest first. */
  async page(filter: AuditFilter): Promise<AuditPage> {
    const where: FindOptionsWhere<AuditLogEntity> = {};
    if (filter.connectorId) where.connectorId = filter.connectorId;
    if (filter.action) where.action = filter.action;
    const [rows, total] = await this.dataSource.getRepository(AuditLogEntity).findAndCount({
      where,
      order: { id: 'DESC' },
      skip: (filter.page - 1) * filter.pageSize,
      take: filter.pageSize,
    });
    return { items: rows.map(toView), page: filter.page, pageSize: filter.pageSize, total };
  }
}

function toView(row: AuditLogEntity): AuditEventView {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: { tokenId: row.actorTokenId, name: row.actor, address: row.clientAddress },
    action: row.action,
    target: { type: row.targetType, id: row.targetId },
    connectorId: row.connectorId,
    details: row.details,
  };
}
