import type { DataSource } from 'typeorm';
import type { RawRecordRef } from '#contracts';
import { JournalwireError } from '#errors';
import { ArchiveKeyEntity, RawOutcomeEntity } from '#persistence';

export type Outcome = RawOutcomeEntity['outcome'];

export interface ArchiveClaim {
  archiveId: string;
  firstRawId: string;
  source: RawRecordRef;
}

/**
 * The policy service's memory in PostgreSQL: which raw records already have an outcome, and
 * which originals (by dedup key) are archived. Writes are idempotent, so a replayed record
 * finds its own earlier decision.
 */
export class OutcomeStore {
  constructor(private readonly dataSource: DataSource) {}

  async findOutcome(rawId: string): Promise<RawOutcomeEntity | null> {
    return this.guard(() => this.dataSource.getRepository(RawOutcomeEntity).findOneBy({ rawId }));
  }

  async recordOutcome(rawId: string, outcome: Outcome, archiveId: string | null, source: RawRecordRef): Promise<void> {
    await this.guard(() =>
      this.dataSource.query(
        `INSERT INTO raw_outcomes (raw_id, outcome, archive_id, decided_at, raw_partition, raw_offset)
         VALUES ($1, $2, $3, now(), $4, $5)
         ON CONFLICT (raw_id) DO UPDATE SET outcome = $2, archive_id = $3, decided_at = now(), raw_partition = $4, raw_offset = $5`,
        [rawId, outcome, archiveId, source.partition, source.offset],
      ),
    );
  }

  /** Claims a dedup key for this raw record unless another already holds it; returns the holder. */
  async claimArchiveKey(dedupKey: string, archiveId: string, rawId: string, source: RawRecordRef, mailboxes: string[]): Promise<ArchiveClaim> {
    return this.guard(async () => {
      await this.dataSource.query(
        `INSERT INTO archive_keys (dedup_key, archive_id, first_raw_id, mailboxes, created_at, first_raw_partition, first_raw_offset)
         VALUES ($1, $2, $3, $4::jsonb, now(), $5, $6) ON CONFLICT (dedup_key) DO NOTHING`,
        [dedupKey, archiveId, rawId, JSON.stringify(mailboxes), source.partition, source.offset],
      );
      const row = await this.dataSource.getRepository(ArchiveKeyEntity).findOneByOrFail({ dedupKey });
      return { archiveId: row.archiveId, firstRawId: row.firstRawId, source: { partition: row.firstRawPartition, offset: row.firstRawOffset } };
    });
  }

  /** Hands a claim to another copy of the same raw message (its first copy never committed). */
  async moveClaim(dedupKey: string, source: RawRecordRef): Promise<void> {
    await this.guard(() =>
      this.dataSource.query(`UPDATE archive_keys SET first_raw_partition = $2, first_raw_offset = $3 WHERE dedup_key = $1`, [dedupKey, source.partition, source.offset]),
    );
  }

  async addMailboxes(dedupKey: string, mailboxes: string[]): Promise<void> {
    await this.guard(() =>
      this.dataSource.query(
        `UPDATE archive_keys SET mailboxes = (SELECT coalesce(jsonb_agg(DISTINCT value), '[]'::jsonb) FROM jsonb_array_elements(mailboxes || $2::jsonb))
         WHERE dedup_key = $1`,
        [dedupKey, JSON.stringify(mailboxes)],
      ),
    );
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new JournalwireError('internal', `PostgreSQL: ${error instanceof Error ? error.message : String(error)}`, { cause: error, retryable: true });
    }
  }
}
