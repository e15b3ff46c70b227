import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-connector opt-in to TLS older than 1.2 (Exchange 2007/2010); every existing connector keeps TLS 1.2. */
export class ConnectorMinTlsVersion1765200000001 implements MigrationInterface {
  name = 'ConnectorMinTlsVersion1765200000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE connectors ADD COLUMN min_tls_version text NOT NULL DEFAULT 'TLSv1.2'
         CHECK (min_tls_version IN ('TLSv1', 'TLSv1.1', 'TLSv1.2'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE connectors DROP COLUMN min_tls_version`);
  }
}
