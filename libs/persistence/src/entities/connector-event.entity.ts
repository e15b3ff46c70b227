import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The per-connector event log: who changed what, and when. */
@Entity({ name: 'connector_events' })
@Index(['connectorId', 'id'])
export class ConnectorEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'connector_id', type: 'uuid' })
  connectorId!: string;

  @CreateDateColumn({ name: 'at', type: 'timestamptz' })
  at!: Date;

  /** The API token name (or "system"). */
  @Column({ type: 'text' })
  actor!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'jsonb', default: {} })
  details!: Record<string, unknown>;
}
