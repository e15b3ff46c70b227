import type { DataSource, EntityManager } from 'typeorm';
import { JournalwireError } from '#errors';
import type { ArchiveClaim, PlanWrites, PriorOutcome } from '#policy';

interface OutcomeRow {
  raw_id: string;
  outcome: PriorOutcome['outcome'];
  archive_id: string | null;
  raw_partition: number;
  raw_offset: string;
}

interface ClaimRow {
  dedup_key: string;
  archive_id: string;
  first_raw_id: string;
  first_raw_partition: number;
  first_raw_offset: string;
}

/**
 * The policy service's memory in PostgreSQL: which raw records already have an outcome, and
 * which originals (by dedup key) are archived. A chunk costs two reads and one transaction,
 * whatever its size. Writes are idempotent, so a replayed chunk finds its own earlier decisions.
 */
export class OutcomeStore {
  constructor(private readonly dataSource: DataSource) {}

  findOutcomes(rawIds: string[]): Promise<Map<string, PriorOutcome>> {
    return this.byKeys<OutcomeRow, PriorOutcome>(
      `SELECT raw_id, outcome, archive_id, raw_partition, raw_offset FROM raw_outcomes WHERE raw_id = ANY($1::text[])`,
      rawIds,
      (row) => [
        row.raw_id,
        {
          outcome: row.outcome,
          archiveId: row.archive_id,
          source: { partition: row.raw_partition, offset: row.raw_offset },
        },
      ],
    );
  }

  findClaims(dedupKeys: string[]): Promise<Map<string, ArchiveClaim>> {
    return this.byKeys<ClaimRow, ArchiveClaim>(
      `SELECT dedup_key, archive_id, first_raw_id, first_raw_partition, first_raw_offset FROM archive_keys WHERE dedup_key = ANY($1::text[])`,
      dedupKeys,
      (row) => [
        row.dedup_key,
        {
          archiveId: row.archive_id,
          firstRawId: row.first_raw_id,
          source: { partition: row.first_raw_partition, offset: row.first_raw_offset },
        },
      ],
    );
  }

  /** The rows `sql` selects for the distinct `keys` (its `$1`), as a map of `entry(row)`. */
  private async byKeys<R, V>(sql: string, keys: string[], entry: (row: R) => [string, V]): Promise<Map<string, V>> {
    if (keys.length === 0) return new Map();
    const rows = await this.guard<R[]>(() => this.dataSource.query(sql, [unique(keys)]));
    return new Map(rows.map(entry));
  }

  /**
   * Applies a chunk's writes in one transaction. Returns false, writing nothing, when another
   * instance claimed one of the new dedup keys since `findClaims`, or when PostgreSQL broke a
   * deadlock with another instance's chunk (copies of one original decided on two partitions at
   * once): the caller reads again and plans again. Keys are written in sorted order, so two
   * chunks' inserts queue behind each other instead of crossing.
   */
  async apply(writes: PlanWrites): Promise<boolean> {
    if (
      writes.newClaims.length + writes.addedMailboxes.length + writes.movedClaims.length + writes.outcomes.length ===
      0
    )
      return true;
    return this.guard(() =>
      this.dataSource.transaction(async (manager) => {
        await this.insertClaims(manager, writes.newClaims);
        await this.addMailboxes(manager, writes.addedMailboxes);
        await this.moveClaims(manager, writes.movedClaims);
        await this.recordOutcomes(manager, writes.outcomes);
        return true;
      }),
    ).catch((error: unknown) => {
      if (error instanceof ClaimTaken || crossedAnotherTransaction(error)) return false;
      throw error;
    });
  }

  private async insertClaims(manager: EntityManager, unsorted: PlanWrites['newClaims']): Promise<void> {
    if (unsorted.length === 0) return;
    const claims = byKey(unsorted, (c) => c.dedupKey);
    const inserted = await manager.query<Array<{ dedup_key: string }>>(
      `INSERT INTO archive_keys (dedup_key, archive_id, first_raw_id, mailboxes, created_at, first_raw_partition, first_raw_offset)
       SELECT k, a, r, m::jsonb, now(), p, o FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[]) AS t(k, a, r, m, p, o)
       ON CONFLICT (dedup_key) DO NOTHING RETURNING dedup_key`,
      [
        claims.map((c) => c.dedupKey),
        claims.map((c) => c.archiveId),
        claims.map((c) => c.firstRawId),
        claims.map((c) => JSON.stringify(c.mailboxes)),
        claims.map((c) => c.source.partition),
        claims.map((c) => c.source.offset),
      ],
    );
    // Rolls the transaction back: nothing of this plan may land.
    if (inserted.length !== claims.length) throw new ClaimTaken();
  }

  private async addMailboxes(manager: EntityManager, unsorted: PlanWrites['addedMailboxes']): Promise<void> {
    if (unsorted.length === 0) return;
    const added = byKey(unsorted, (a) => a.dedupKey);
    await manager.query(
      `UPDATE archive_keys AS a SET mailboxes = (SELECT coalesce(jsonb_agg(DISTINCT value), '[]'::jsonb) FROM jsonb_array_elements(a.mailboxes || t.m::jsonb))
       FROM unnest($1::text[], $2::text[]) AS t(k, m) WHERE a.dedup_key = t.k`,
      [added.map((a) => a.dedupKey), added.map((a) => JSON.stringify(a.mailboxes))],
    );
  }

  private async moveClaims(manager: EntityManager, unsorted: PlanWrites['movedClaims']): Promise<void> {
    if (unsorted.length === 0) return;
    const moved = byKey(unsorted, (m) => m.dedupKey);
    await manager.query(
      `UPDATE archive_keys AS a SET first_raw_partition = t.p, first_raw_offset = t.o
       FROM unnest($1::text[], $2::int[], $3::text[]) AS t(k, p, o) WHERE a.dedup_key = t.k`,
      [moved.map((m) => m.dedupKey), moved.map((m) => m.source.partition), moved.map((m) => m.source.offset)],
    );
  }

  private async recordOutcomes(manager: EntityManager, outcomes: PlanWrites['outcomes']): Promise<void> {
    if (outcomes.length === 0) return;
    await manager.query(
      `INSERT INTO raw_outcomes (raw_id, outcome, archive_id, decided_at, raw_partition, raw_offset)
       SELECT r, o, a, now(), p, f FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) AS t(r, o, a, p, f)
       ON CONFLICT (raw_id) DO UPDATE SET outcome = excluded.outcome, archive_id = excluded.archive_id, decided_at = excluded.decided_at,
         raw_partition = excluded.raw_partition, raw_offset = excluded.raw_offset`,
      [
        outcomes.map((o) => o.rawId),
        outcomes.map((o) => o.outcome),
        outcomes.map((o) => o.archiveId),
        outcomes.map((o) => o.source.partition),
        outcomes.map((o) => o.source.offset),
      ],
    );
  }

  /**
   * PostgreSQL refusing the data itself (SQLSTATE classes 22 and 23) will refuse it again: not
   * retryable. Anything else (connection lost, server restarting, a missing table) may pass later.
   */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ClaimTaken) throw error;
      const sqlState = (error as { code?: unknown }).code;
      const refusesData = typeof sqlState === 'string' && /^2[23]/.test(sqlState);
      throw new JournalwireError(
        refusesData ? 'validation' : 'internal',
        `PostgreSQL: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: !refusesData },
      );
    }
  }
}

/** Another instance claimed a dedup key this chunk meant to claim. */
class ClaimTaken extends Error {}

/** SQLSTATEs of a transaction PostgreSQL rolled back because it crossed another one. */
const CROSSED = new Set(['40P01', '40001']);

/** A deadlock or serialization failure with another instance: nothing was written, plan again. */
function crossedAnotherTransaction(error: unknown): boolean {
  const cause = error instanceof JournalwireError ? error.cause : error;
  const sqlState = (cause as { code?: unknown } | undefined)?.code;
  return typeof sqlState === 'string' && CROSSED.has(sqlState);
}

/** The list sorted by key: every instance takes its row locks in the same order. */
function byKey<T>(list: T[], key: (item: T) => string): T[] {
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
