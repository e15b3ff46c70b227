import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import { appendAudit, AuditLogEntity, type AuditActor, type AuditEntry } from '#persistence';
import type { AuditEventView } from '#contracts';
import { DATA_SOURCE } from '#platform';
import { newestFirst, type LogPage, type LogPaging } from '../paging/newest-first.js';

export type AuditPage = LogPage<AuditEventView>;

export interface AuditFilter extends LogPaging {
  connectorId?: string | undefined;
  action?: string | undefined;
}

/** The audit log of every API mutation (audit_log); rows outlive what they name. */
@Injectable()
export class AuditService {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** Records in the caller's transaction, so a change and its audit row commit together. */
  record(manager: EntityManager | undefined, actor: AuditActor, entry: AuditEntry): Promise<void> {
    return appendAudit(manager ?? this.dataSource.manager, actor, entry);
  }

  /** Newest first (offset or cursor paging, see newestFirst). */
  page(filter: AuditFilter): Promise<AuditPage> {
    const where: FindOptionsWhere<AuditLogEntity> = {};
    if (filter.connectorId) where.connectorId = filter.connectorId;
    if (filter.action) where.action = filter.action;
    return newestFirst(this.dataSource.getRepository(AuditLogEntity), where, filter, 'audit', toView);
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
