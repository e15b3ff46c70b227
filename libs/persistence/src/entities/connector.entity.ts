import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type {
  CONNECTOR_JOURNAL_TYPES,
  ENCRYPTION_MODES,
  MIN_TLS_VERSIONS,
  TLS_TRANSPORTS,
  TRANSPORT_TYPES,
} from '#contracts';

/** A journal service definition (the seed's "New Journal Service Definition"). */
@Entity({ name: 'connectors' })
export class ConnectorEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ name: 'transport_type', type: 'text', default: 'pop3' })
  transportType!: (typeof TRANSPORT_TYPES)[number];

  @Column({ name: 'service_email_address', type: 'text' })
  serviceEmailAddress!: string;

  /** The POP3 login. */
  @Column({ name: 'mailbox_name', type: 'text' })
  mailboxName!: string;

  /** AES-256-GCM ciphertext (see CredentialCipher); never returned by the API. */
  @Column({ name: 'password_ciphertext', type: 'text' })
  passwordCiphertext!: string;

  @Column({ type: 'text' })
  host!: string;

  @Column({ type: 'integer' })
  port!: number;

  @Column({ type: 'boolean', default: true })
  encrypted!: boolean;

  /** For encrypted connectors: POP3S (implicit TLS) or STLS on the plain port. */
  @Column({ name: 'tls_transport', type: 'text', default: 'implicit' })
  tlsTransport!: (typeof TLS_TRANSPORTS)[number];

  @Column({ name: 'encryption_mode', type: 'text', default: 'strict' })
  encryptionMode!: (typeof ENCRYPTION_MODES)[number];

  /** The oldest TLS version accepted, for POP3S and STLS alike (TLSv1 for Exchange 2007/2010). */
  @Column({ name: 'min_tls_version', type: 'text', default: 'TLSv1.2' })
  minTlsVersion!: (typeof MIN_TLS_VERSIONS)[number];

  /** Extra trusted CA certificates (PEM) for strict mode, besides the system store. */
  @Column({ name: 'ca_certificate', type: 'text', nullable: true })
  caCertificate!: string | null;

  @Column({ name: 'journal_type', type: 'text', default: 'envelope' })
  journalType!: (typeof CONNECTOR_JOURNAL_TYPES)[number];

  @Column({ name: 'remove_journal_headers', type: 'boolean', default: false })
  removeJournalHeaders!: boolean;

  @Column({ name: 'detailed_logging', type: 'boolean', default: false })
  detailedLogging!: boolean;

  @Column({ name: 'journal_non_internal', type: 'boolean', default: false })
  journalNonInternal!: boolean;

  @Column({ name: 'journal_unknown_internal', type: 'boolean', default: false })
  journalUnknownInternal!: boolean;

  @Column({ type: 'boolean', default: false })
  suspended!: boolean;

  /** Extract even while the directory has no internal domain (off: the connector waits for one). */
  @Column({ name: 'allow_empty_directory', type: 'boolean', default: false })
  allowEmptyDirectory!: boolean;

  @Column({ name: 'poll_interval_seconds', type: 'integer', default: 60 })
  pollIntervalSeconds!: number;

  @Column({ name: 'max_messages_per_session', type: 'integer', default: 500 })
  maxMessagesPerSession!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ type: 'integer' })
  version!: number;
}
