import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The range each envelope and policy processor began to work on, one row per group and partition
 * (libs/kafka CrashGuard): a record that keeps ending its process is dead-lettered after a few
 * such ends instead of stopping its partition.
 */
export class ProcessingMarks1766900000000 implements MigrationInterface {
  name = 'ProcessingMarks1766900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS processing_marks (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        first_offset bigint NOT NULL,
        last_offset bigint NOT NULL,
        starts integer NOT NULL,
        owner text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS processing_marks`);
  }
}
