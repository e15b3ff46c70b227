import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** An internal domain; subdomains count only when `includeSubdomains` is set. */
@Entity({ name: 'directory_domains' })
export class DirectoryDomainEntity {
  @PrimaryColumn({ type: 'text' })
  domain!: string;

  @Column({ name: 'include_subdomains', type: 'boolean', default: false })
  includeSubdomains!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A known internal mailbox (its primary address). */
@Entity({ name: 'directory_addresses' })
export class DirectoryAddressEntity {
  @PrimaryColumn({ type: 'text' })
  address!: string;

  @Column({ name: 'display_name', type: 'text', nullable: true })
  displayName!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Another address of a known mailbox. */
@Entity({ name: 'directory_aliases' })
export class DirectoryAliasEntity {
  @PrimaryColumn({ type: 'text' })
  alias!: string;

  @Column({ type: 'text' })
  address!: string;

  @ManyToOne(() => DirectoryAddressEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'address', referencedColumnName: 'address' })
  owner?: DirectoryAddressEntity;
}

/** Bumped on every directory change so the envelope service knows to refresh its cache. */
@Entity({ name: 'directory_revision' })
export class DirectoryRevisionEntity {
  @PrimaryColumn({ type: 'integer', default: 1 })
  id!: number;

  @Column({ type: 'bigint', default: 0 })
  revision!: string;
}
