import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The status service's list of rejected and dead-lettered messages (GET /v1/connectors/:id/outcomes),
 * one row per outcome record as it consumes journal.rejected.v1 and journal.dlq.v1, keyed by the
 * record's position so a rebuild from the topics adds nothing twice. The message bytes stay on the
 * topic (and in the claim-check store); a replay reads them from there and is remembered here.
 */
export class MessageOutcomes1766100000000 implements MigrationInterface {
  name = 'MessageOutcomes1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS message_outcomes (
        id bigserial PRIMARY KEY,
        connector_id text NOT NULL,
        type text NOT NULL CHECK (type IN ('rejected', 'dead-lettered')),
        topic text NOT NULL,
        partition integer NOT NULL,
        "offset" bigint NOT NULL,
        raw_id text NOT NULL,
        raw_partition integer,
        raw_offset bigint,
        uidl text,
        sha256 text,
        reason text NOT NULL,
        error text,
        stage text,
        message_id text,
        sender text,
        subject text,
        message jsonb,
        at timestamptz NOT NULL,
        replayed_at timestamptz,
        replayed_by text,
        replay_partition integer,
        replay_offset bigint,
        UNIQUE (topic, partition, "offset")
      )`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS message_outcomes_list ON message_outcomes (connector_id, type, at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS message_outcomes_at ON message_outcomes (at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS message_outcomes`);
  }
}
