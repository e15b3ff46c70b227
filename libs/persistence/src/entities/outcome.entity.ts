import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per raw record that has an outcome: the policy service's memory for replays. */
@Entity({ name: 'raw_outcomes' })
export class RawOutcomeEntity {
  @PrimaryColumn({ name: 'raw_id', type: 'text' })
  rawId!: string;

  @Column({ type: 'text' })
  outcome!: 'archived' | 'rejected' | 'merged' | 'dead-lettered';

  @Column({ name: 'archive_id', type: 'text', nullable: true })
  archiveId!: string | null;

  @Column({ name: 'decided_at', type: 'timestamptz' })
  decidedAt!: Date;

  @Column({ name: 'raw_partition', type: 'integer' })
  rawPartition!: number;

  @Column({ name: 'raw_offset', type: 'text' })
  rawOffset!: string;
}

/** One row per archived original, keyed by its dedup key (Message-ID + content hash). */
@Entity({ name: 'archive_keys' })
export class ArchiveKeyEntity {
  @PrimaryColumn({ name: 'dedup_key', type: 'text' })
  dedupKey!: string;

  @Column({ name: 'archive_id', type: 'text' })
  archiveId!: string;

  /** The raw record that was archived; later reports with the same key merge into it. */
  @Column({ name: 'first_raw_id', type: 'text' })
  firstRawId!: string;

  @Column({ name: 'first_raw_partition', type: 'integer' })
  firstRawPartition!: number;

  @Column({ name: 'first_raw_offset', type: 'text' })
  firstRawOffset!: string;

  @Column({ type: 'jsonb', default: [] })
  mailboxes!: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
