/** The slice of a TypeORM DataSource (or QueryRunner) pruning needs. */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** Runs a DELETE of at most `batchSize` rows (its last parameter) until fewer come back. */
async function inBatches(db: Queryable, sql: string, parameters: unknown[], batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db.query<Array<{ n: number }>>(sql, [...parameters, batchSize]);
    const n = Number(rows[0]?.n ?? 0);
    total += n;
    if (n < batchSize) return total;
  }
}

/**
 * Ledger rows of messages confirmed deleted from their mailbox before `cutoff`. Each connector's
 * count of pruned rows grows in the same statement, so its extracted total stays right. Rows
 * of messages not yet deleted are never touched: they stop a message from being published twice.
 */
export function pruneLedger(db: Queryable, cutoff: Date, batchSize: number): Promise<number> {
  return inBatches(
    db,
    `WITH gone AS (
       DELETE FROM extraction_ledger WHERE ctid IN (
         SELECT ctid FROM extraction_ledger WHERE deleted_at IS NOT NULL AND deleted_at < $1 LIMIT $2)
       RETURNING connector_id),
     counted AS (
       INSERT INTO extraction_ledger_pruned (connector_id, messages)
       SELECT connector_id, count(*) FROM gone GROUP BY connector_id
       ON CONFLICT (connector_id) DO UPDATE SET messages = extraction_ledger_pruned.messages + EXCLUDED.messages
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [cutoff],
    batchSize,
  );
}

/** Rows of `table` whose `column` is before `cutoff`, in batches (table and column are ours, never input). */
function pruneOlderThan(
  db: Queryable,
  table: string,
  column: string,
  cutoff: Date,
  batchSize: number,
): Promise<number> {
  return inBatches(
    db,
    `WITH gone AS (DELETE FROM ${table} WHERE ctid IN (
       SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2) RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [cutoff],
    batchSize,
  );
}

/** Outcomes (raw_outcomes) decided before `cutoff`: what tells a replayed raw record from a new one. */
export function pruneOutcomes(db: Queryable, cutoff: Date, batchSize: number): Promise<number> {
  return pruneOlderThan(db, 'raw_outcomes', 'decided_at', cutoff, batchSize);
}

/** Dedup keys (archive_keys) first archived before `cutoff`: a later duplicate is archived anew. */
export function pruneDedupKeys(db: Queryable, cutoff: Date, batchSize: number): Promise<number> {
  return pruneOlderThan(db, 'archive_keys', 'created_at', cutoff, batchSize);
}

/** Connector events recorded before `cutoff`. */
export function pruneEvents(db: Queryable, cutoff: Date, batchSize: number): Promise<number> {
  return pruneOlderThan(db, 'connector_events', 'at', cutoff, batchSize);
}

/**
 * Rows of the status service's list of rejected and dead-lettered messages (message_outcomes)
 * recorded before `cutoff`: by then their records have left journal.rejected.v2 and
 * journal.dlq.v2, so they could no longer be replayed.
 */
export function pruneListedOutcomes(db: Queryable, cutoff: Date, batchSize: number): Promise<number> {
  return pruneOlderThan(db, 'message_outcomes', 'at', cutoff, batchSize);
}
