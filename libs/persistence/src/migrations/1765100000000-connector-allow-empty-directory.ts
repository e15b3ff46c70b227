import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A connector extracts nothing while the directory has no internal domain (every message would be
 * external and, with the default filters, rejected after Exchange deleted it), unless the operator
 * sets `allow_empty_directory`.
 */
export class ConnectorAllowEmptyDirectory1765100000000 implements MigrationInterface {
  name = 'ConnectorAllowEmptyDirectory1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE connectors ADD COLUMN allow_empty_directory boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE connectors DROP COLUMN allow_empty_directory`);
  }
}
