import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The extraction ledger remembers each message's LIST size and the mailbox (scope) its UIDL
 * belongs to, so that a reused UIDL or a connector pointed elsewhere is never taken for a message
 * already published. Existing rows get the scope of their connector's current host and mailbox
 * name, computed as ledgerScopeOf does.
 */
/** ledgerScopeOf in SQL, for the connectors row `c` (also used by RetrievalFailureScope1765200000002). */
export const CONNECTOR_SCOPE_SQL = `encode(sha256(convert_to(lower(c.host) || chr(10) || c.mailbox_name, 'UTF8')), 'hex')`;

export class LedgerScope1765200000000 implements MigrationInterface {
  name = 'LedgerScope1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE extraction_ledger ADD COLUMN list_size bigint, ADD COLUMN scope text NOT NULL DEFAULT ''`,
    );
    await queryRunner.query(
      `UPDATE extraction_ledger l
          SET scope = ${CONNECTOR_SCOPE_SQL}
         FROM connectors c
        WHERE c.id = l.connector_id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE extraction_ledger DROP COLUMN list_size, DROP COLUMN scope`);
  }
}
