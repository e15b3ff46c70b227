import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764270000000 implements MigrationInterface {
  name = 'InitialSchema1764270000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE connectors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        description text NOT NULL,
        transport_type text NOT NULL DEFAULT 'pop3' CHECK (transport_type IN ('pop3')),
        service_email_address text NOT NULL,
        mailbox_name text NOT NULL,
        password_ciphertext text NOT NULL,
        host text NOT NULL,
        port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
        encrypted boolean NOT NULL DEFAULT true,
        tls_transport text NOT NULL DEFAULT 'implicit' CHECK (tls_transport IN ('implicit', 'starttls')),
        encryption_mode text NOT NULL DEFAULT 'strict' CHECK (encryption_mode IN ('strict', 'relaxed')),
        ca_certificate text,
        journal_type text NOT NULL DEFAULT 'envelope' CHECK (journal_type IN ('envelope', 'eml')),
        remove_journal_headers boolean NOT NULL DEFAULT false,
        detailed_logging boolean NOT NULL DEFAULT false,
        journal_non_internal boolean NOT NULL DEFAULT false,
        journal_unknown_internal boolean NOT NULL DEFAULT false,
        suspended boolean NOT NULL DEFAULT false,
        poll_interval_seconds integer NOT NULL DEFAULT 60 CHECK (poll_interval_seconds > 0),
        max_messages_per_session integer NOT NULL DEFAULT 500 CHECK (max_messages_per_session > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1
      )`);
    await queryRunner.query(`
      CREATE TABLE connector_events (
        id bigserial PRIMARY KEY,
        connector_id uuid NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX connector_events_by_connector ON connector_events (connector_id, id)`);
    await queryRunner.query(`
      CREATE TABLE directory_domains (
        domain text PRIMARY KEY,
        include_subdomains boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE directory_addresses (
        address text PRIMARY KEY,
        display_name text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE directory_aliases (
        alias text PRIMARY KEY,
        address text NOT NULL REFERENCES directory_addresses (address) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE TABLE directory_revision (id integer PRIMARY KEY DEFAULT 1, revision bigint NOT NULL DEFAULT 0)`,
    );
    await queryRunner.query(`INSERT INTO directory_revision (id, revision) VALUES (1, 0)`);
    await queryRunner.query(`
      CREATE TABLE api_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        token_sha256 text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query(`
      CREATE TABLE extraction_ledger (
        connector_id uuid NOT NULL,
        uidl text NOT NULL,
        sha256 text NOT NULL,
        size bigint NOT NULL,
        published_at timestamptz NOT NULL,
        deleted_at timestamptz,
        PRIMARY KEY (connector_id, uidl)
      )`);
    await queryRunner.query(`
      CREATE TABLE retrieval_failures (
        connector_id uuid NOT NULL,
        uidl text NOT NULL,
        attempts integer NOT NULL,
        last_error text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (connector_id, uidl)
      )`);
    await queryRunner.query(`
      CREATE TABLE raw_outcomes (
        raw_id text PRIMARY KEY,
        outcome text NOT NULL CHECK (outcome IN ('archived', 'rejected', 'merged', 'dead-lettered')),
        archive_id text,
        decided_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE archive_keys (
        dedup_key text PRIMARY KEY,
        archive_id text NOT NULL,
        first_raw_id text NOT NULL,
        mailboxes jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'archive_keys',
      'raw_outcomes',
      'retrieval_failures',
      'extraction_ledger',
      'api_tokens',
      'directory_revision',
      'directory_aliases',
      'directory_addresses',
      'directory_domains',
      'connector_events',
      'connectors',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
