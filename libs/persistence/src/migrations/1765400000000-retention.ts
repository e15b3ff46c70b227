import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bounded state (docs/operations.md, "Retention"): indexes that make pruning by age cheap, and a
 * per-connector count of pruned ledger rows so the extracted total survives pruning.
 */
export class Retention1765400000000 implements MigrationInterface {
  name = 'Retention1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS extraction_ledger_deleted_at ON extraction_ledger (deleted_at) WHERE deleted_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS raw_outcomes_decided_at ON raw_outcomes (decided_at)`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS archive_keys_created_at ON archive_keys (created_at)`);
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS connector_events_at ON connector_events (at)`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS extraction_ledger_pruned (
        connector_id uuid PRIMARY KEY,
        messages bigint NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS extraction_ledger_pruned`);
    for (const index of [
      'connector_events_at',
      'archive_keys_created_at',
      'raw_outcomes_decided_at',
      'extraction_ledger_deleted_at',
    ])
      await queryRunner.query(`DROP INDEX IF EXISTS ${index}`);
  }
}
