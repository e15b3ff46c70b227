import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CONNECTOR_SCOPE_SQL } from './1765200000000-ledger-scope.js';

/**
 * Retrieval failures are scoped to the mailbox like the ledger (LedgerScope1765200000000): a
 * message skipped in one mailbox never makes a message of another mailbox with the same UIDL skipped.
 */
export class RetrievalFailureScope1765200000002 implements MigrationInterface {
  name = 'RetrievalFailureScope1765200000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE retrieval_failures ADD COLUMN scope text NOT NULL DEFAULT ''`);
    await queryRunner.query(
      `UPDATE retrieval_failures f
          SET scope = ${CONNECTOR_SCOPE_SQL}
         FROM connectors c
        WHERE c.id = f.connector_id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE retrieval_failures DROP COLUMN scope`);
  }
}
