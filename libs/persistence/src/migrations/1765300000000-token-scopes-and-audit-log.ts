import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API token scopes (existing tokens become `admin`, what they could do before), expiry and
 * last use; the audit log of API mutations.
 */
export class TokenScopesAndAuditLog1765300000000 implements MigrationInterface {
  name = 'TokenScopesAndAuditLog1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_tokens
        ADD COLUMN scope text NOT NULL DEFAULT 'admin' CHECK (scope IN ('read', 'operate', 'admin')),
        ADD COLUMN expires_at timestamptz,
        ADD COLUMN last_used_at timestamptz`);
    // From now on every token names its scope explicitly.
    await queryRunner.query(`ALTER TABLE api_tokens ALTER COLUMN scope DROP DEFAULT`);
    await queryRunner.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor_token_id uuid,
        actor text NOT NULL,
        client_address text,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        connector_id uuid,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_by_connector ON audit_log (connector_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS audit_log`);
    await queryRunner.query(
      `ALTER TABLE api_tokens DROP COLUMN scope, DROP COLUMN expires_at, DROP COLUMN last_used_at`,
    );
  }
}
