import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What the poller has durably published, per mailbox UIDL. A message whose UIDL is here is
 * never published again; it is only deleted (again) from the mailbox.
 */
@Entity({ name: 'extraction_ledger' })
export class ExtractionLedgerEntity {
  @PrimaryColumn({ name: 'connector_id', type: 'uuid' })
  connectorId!: string;

  @PrimaryColumn({ type: 'text' })
  uidl!: string;

  @Column({ type: 'text' })
  sha256!: string;

  @Column({ type: 'bigint' })
  size!: string;

  /** The size LIST announced when the message was published (null for older rows). */
  @Column({ name: 'list_size', type: 'bigint', nullable: true })
  listSize!: string | null;

  /** The mailbox (host and login) the UIDL belongs to; see ledgerScopeOf. */
  @Column({ type: 'text', default: '' })
  scope!: string;

  @Column({ name: 'published_at', type: 'timestamptz' })
  publishedAt!: Date;

  /** Set once a QUIT after the DELE succeeded. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

/** Messages the server failed to return; skipped after the configured number of attempts. */
@Entity({ name: 'retrieval_failures' })
export class RetrievalFailureEntity {
  @PrimaryColumn({ name: 'connector_id', type: 'uuid' })
  connectorId!: string;

  @PrimaryColumn({ type: 'text' })
  uidl!: string;

  /** The mailbox the UIDL belongs to, as in the ledger. */
  @Column({ type: 'text', default: '' })
  scope!: string;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text' })
  lastError!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
