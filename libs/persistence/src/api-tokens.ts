import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { ApiTokenView, TokenScope } from '#contracts';
import { ApiTokenEntity } from './entities/api-token.entity.js';
import { AuditLogEntity } from './entities/audit-log.entity.js';

/** The sha256 under which a token is stored and looked up. */
export function tokenDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function toApiTokenView(token: ApiTokenEntity): ApiTokenView {
  return {
    id: token.id,
    name: token.name,
    scope: token.scope,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt?.toISOString() ?? null,
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

/** Who made a change, as the audit log records it. */
export interface AuditActor {
  /** Null for the command line. */
  tokenId: string | null;
  name: string;
  address?: string | null;
}

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  connectorId?: string | null;
  details?: Record<string, unknown>;
}

/** Appends one audit row in the caller's transaction. */
export async function appendAudit(manager: EntityManager, actor: AuditActor, entry: AuditEntry): Promise<void> {
  const repository = manager.getRepository(AuditLogEntity);
  await repository.save(
    repository.create({
      actorTokenId: actor.tokenId,
      actor: actor.name,
      clientAddress: actor.address ?? null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      connectorId: entry.connectorId ?? null,
      details: entry.details ?? {},
    }),
    { reload: false },
  );
}

/** Creates a token (audited); the secret is returned once and only its sha256 is kept. */
export async function createApiToken(
  manager: EntityManager,
  input: { name: string; scope: TokenScope; expiresAt: Date | null },
  actor: AuditActor,
): Promise<{ token: ApiTokenView; secret: string }> {
  const secret = `jw_${randomBytes(24).toString('base64url')}`;
  const repository = manager.getRepository(ApiTokenEntity);
  const saved = await repository.save(
    repository.create({
      name: input.name,
      scope: input.scope,
      expiresAt: input.expiresAt,
      tokenSha256: tokenDigest(secret),
    }),
  );
  const token = toApiTokenView(saved);
  await appendAudit(manager, actor, {
    action: 'token.created',
    targetType: 'token',
    targetId: token.id,
    details: { name: token.name, scope: token.scope, expiresAt: token.expiresAt },
  });
  return { token, secret };
}

/** Revokes a token (audited); null when there is no such token. Revoking twice keeps the first time. */
export async function revokeApiToken(
  manager: EntityManager,
  id: string,
  actor: AuditActor,
): Promise<ApiTokenView | null> {
  const repository = manager.getRepository(ApiTokenEntity);
  const token = /^[0-9a-f-]{36}$/i.test(id)
    ? await repository.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } })
    : null;
  if (!token) return null;
  if (!token.revokedAt) {
    token.revokedAt = new Date();
    await repository.update({ id }, { revokedAt: token.revokedAt });
    await appendAudit(manager, actor, {
      action: 'token.revoked',
      targetType: 'token',
      targetId: id,
      details: { name: token.name, scope: token.scope },
    });
  }
  return toApiTokenView(token);
}
