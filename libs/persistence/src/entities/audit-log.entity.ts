import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The installation's audit log: one row per API mutation (and per token change made with the
 * CLI). No foreign keys: rows outlive the connectors and tokens they name. Secrets appear only
 * as `{ "changed": true }`.
 */
@Entity({ name: 'audit_log' })
@Index(['connectorId', 'id'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @CreateDateColumn({ name: 'at', type: 'timestamptz' })
  at!: Date;

  /** The API token that made the change (null: the command line). */
  @Column({ name: 'actor_token_id', type: 'uuid', nullable: true })
  actorTokenId!: string | null;

  /** The token's name at the time, or "cli". */
  @Column({ type: 'text' })
  actor!: string;

  @Column({ name: 'client_address', type: 'text', nullable: true })
  clientAddress!: string | null;

  /** `connector.updated`, `directory.domain.created`, `token.revoked`, … */
  @Column({ type: 'text' })
  action!: string;

  /** connector, domain, address, directory, token. */
  @Column({ name: 'target_type', type: 'text' })
  targetType!: string;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ name: 'connector_id', type: 'uuid', nullable: true })
  connectorId!: string | null;

  @Column({ type: 'jsonb', default: {} })
  details!: Record<string, unknown>;
}
