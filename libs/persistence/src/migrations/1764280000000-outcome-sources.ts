import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Remembers which raw record (partition, offset) decided an outcome, to tell replays from redeliveries. */
export class OutcomeSources1764280000000 implements MigrationInterface {
  name = 'OutcomeSources1764280000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE raw_outcomes ADD COLUMN raw_partition integer NOT NULL DEFAULT 0, ADD COLUMN raw_offset text NOT NULL DEFAULT ''`,
    );
    await queryRunner.query(
      `ALTER TABLE archive_keys ADD COLUMN first_raw_partition integer NOT NULL DEFAULT 0, ADD COLUMN first_raw_offset text NOT NULL DEFAULT ''`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE archive_keys DROP COLUMN first_raw_partition, DROP COLUMN first_raw_offset`);
    await queryRunner.query(`ALTER TABLE raw_outcomes DROP COLUMN raw_partition, DROP COLUMN raw_offset`);
  }
}
