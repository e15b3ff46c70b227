import type { DataSource } from 'typeorm';

export interface LedgerEntry {
  uidl: string;
  sha256: string;
  size: number;
  /** The size LIST announced for it (what identifies the message if its UIDL comes back). */
  listSize?: number;
}

export interface LedgerState {
  sha256: string;
  /** The size LIST announced when it was published (null for rows written before it was recorded). */
  listSize: number | null;
  /** The size of the published message. */
  size: number;
  /** Set once a QUIT after the DELE succeeded: the message is gone from the mailbox. */
  deletedAt: Date | null;
}

/**
 * Whether a ledger row can be the message the mailbox now offers under the same UIDL: only then
 * may it be deleted without being published again. A different LIST size means the server reused
 * the UIDL for another message (e.g. after a QUIT whose +OK was lost).
 */
export function sameMessage(state: LedgerState, listSize: number): boolean {
  return (state.listSize ?? state.size) === listSize;
}

/**
 * What the session needs from the extraction ledger (a port, so sessions can be unit-tested).
 * `scope` names the mailbox (see ledgerScopeOf): rows of another scope do not count.
 */
export interface LedgerPort {
  lookup(connectorId: string, scope: string, uidls: string[]): Promise<Map<string, LedgerState>>;
  recordPublished(connectorId: string, scope: string, entries: LedgerEntry[]): Promise<void>;
  markDeleted(connectorId: string, scope: string, uidls: string[]): Promise<void>;
  countPublished(connectorId: string): Promise<number>;
  lastPublishedAt(connectorId: string): Promise<Date | null>;
}

/**
 * The extraction ledger (PostgreSQL): a UIDL here was durably published and is never published
 * again while the message may still be in the mailbox. Bulk statements, one round trip each.
 */
export class ExtractionLedger implements LedgerPort {
  constructor(private readonly dataSource: DataSource) {}

  async lookup(connectorId: string, scope: string, uidls: string[]): Promise<Map<string, LedgerState>> {
    const found = new Map<string, LedgerState>();
    if (uidls.length === 0) return found;
    const rows: Array<{
      uidl: string;
      sha256: string;
      size: string;
      list_size: string | null;
      deleted_at: Date | null;
    }> = await this.dataSource.query(
      `SELECT uidl, sha256, size, list_size, deleted_at FROM extraction_ledger
          WHERE connector_id = $1 AND scope = $2 AND uidl = ANY($3::text[])`,
      [connectorId, scope, uidls],
    );
    for (const row of rows) {
      found.set(row.uidl, {
        sha256: row.sha256,
        size: Number(row.size),
        listSize: row.list_size === null ? null : Number(row.list_size),
        deletedAt: row.deleted_at,
      });
    }
    return found;
  }

  /**
   * Records published messages. A row that cannot be the same message is replaced: its deletion
   * was confirmed, it belongs to another scope, or its LIST size differs (the server reused the
   * UIDL for a new message, which this publish covered).
   */
  async recordPublished(connectorId: string, scope: string, entries: LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO extraction_ledger (connector_id, uidl, sha256, size, list_size, scope, published_at, deleted_at)
       SELECT $1, e.uidl, e.sha256, e.size, e.list_size, $2, now(), NULL
         FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[]) AS e(uidl, sha256, size, list_size)
       ON CONFLICT (connector_id, uidl) DO UPDATE
         SET sha256 = EXCLUDED.sha256, size = EXCLUDED.size, list_size = EXCLUDED.list_size, scope = EXCLUDED.scope,
             published_at = EXCLUDED.published_at, deleted_at = NULL
         WHERE extraction_ledger.deleted_at IS NOT NULL
            OR extraction_ledger.scope <> EXCLUDED.scope
            OR COALESCE(extraction_ledger.list_size, extraction_ledger.size)
               IS DISTINCT FROM COALESCE(EXCLUDED.list_size, EXCLUDED.size)`,
      [
        connectorId,
        scope,
        entries.map((e) => e.uidl),
        entries.map((e) => e.sha256),
        entries.map((e) => String(e.size)),
        entries.map((e) => (e.listSize === undefined ? null : String(e.listSize))),
      ],
    );
  }

  async markDeleted(connectorId: string, scope: string, uidls: string[]): Promise<void> {
    if (uidls.length === 0) return;
    await this.dataSource.query(
      `UPDATE extraction_ledger SET deleted_at = now()
        WHERE connector_id = $1 AND scope = $2 AND uidl = ANY($3::text[]) AND deleted_at IS NULL`,
      [connectorId, scope, uidls],
    );
  }

  /** Rows in the ledger plus those pruned from it (libs/retention). */
  async countPublished(connectorId: string): Promise<number> {
    const rows: Array<{ n: string }> = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM extraction_ledger WHERE connector_id = $1)
            + coalesce((SELECT messages FROM extraction_ledger_pruned WHERE connector_id = $1), 0) AS n`,
      [connectorId],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async lastPublishedAt(connectorId: string): Promise<Date | null> {
    const rows: Array<{ at: Date | null }> = await this.dataSource.query(
      'SELECT max(published_at) AS at FROM extraction_ledger WHERE connector_id = $1',
      [connectorId],
    );
    return rows[0]?.at ?? null;
  }
}

export interface RetrievalFailure {
  uidl: string;
  attempts: number;
  lastError: string;
}

/** Scoped like the ledger: failures counted in another mailbox (host and login) do not count. */
export interface RetrievalFailuresPort {
  lookup(connectorId: string, scope: string, uidls: string[]): Promise<Map<string, RetrievalFailure>>;
  /** Counts one more refused retrieval; returns the attempts so far. */
  record(connectorId: string, scope: string, uidl: string, error: string): Promise<number>;
  clear(connectorId: string, uidls: string[]): Promise<void>;
  clearAll(connectorId: string): Promise<void>;
  /** Messages given up on (attempts >= maxAttempts). */
  listSkipped(connectorId: string, scope: string, maxAttempts: number): Promise<RetrievalFailure[]>;
}

/** Messages the server refused to return (retrieval_failures). */
export class RetrievalFailures implements RetrievalFailuresPort {
  constructor(private readonly dataSource: DataSource) {}

  async lookup(connectorId: string, scope: string, uidls: string[]): Promise<Map<string, RetrievalFailure>> {
    const found = new Map<string, RetrievalFailure>();
    if (uidls.length === 0) return found;
    const rows: Array<{ uidl: string; attempts: number; last_error: string }> = await this.dataSource.query(
      `SELECT uidl, attempts, last_error FROM retrieval_failures
        WHERE connector_id = $1 AND scope = $2 AND uidl = ANY($3::text[])`,
      [connectorId, scope, uidls],
    );
    for (const row of rows) found.set(row.uidl, { uidl: row.uidl, attempts: row.attempts, lastError: row.last_error });
    return found;
  }

  async record(connectorId: string, scope: string, uidl: string, error: string): Promise<number> {
    const rows: Array<{ attempts: number }> = await this.dataSource.query(
      `INSERT INTO retrieval_failures (connector_id, uidl, scope, attempts, last_error, updated_at)
       VALUES ($1, $2, $3, 1, $4, now())
       ON CONFLICT (connector_id, uidl) DO UPDATE
         SET attempts = CASE WHEN retrieval_failures.scope = EXCLUDED.scope THEN retrieval_failures.attempts + 1 ELSE 1 END,
             scope = EXCLUDED.scope, last_error = EXCLUDED.last_error, updated_at = now()
       RETURNING attempts`,
      [connectorId, uidl, scope, error],
    );
    return rows[0]?.attempts ?? 1;
  }

  async clear(connectorId: string, uidls: string[]): Promise<void> {
    if (uidls.length === 0) return;
    await this.dataSource.query('DELETE FROM retrieval_failures WHERE connector_id = $1 AND uidl = ANY($2::text[])', [
      connectorId,
      uidls,
    ]);
  }

  async clearAll(connectorId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM retrieval_failures WHERE connector_id = $1', [connectorId]);
  }

  async listSkipped(connectorId: string, scope: string, maxAttempts: number): Promise<RetrievalFailure[]> {
    const rows: Array<{ uidl: string; attempts: number; last_error: string }> = await this.dataSource.query(
      `SELECT uidl, attempts, last_error FROM retrieval_failures
        WHERE connector_id = $1 AND scope = $2 AND attempts >= $3 ORDER BY updated_at LIMIT 1000`,
      [connectorId, scope, maxAttempts],
    );
    return rows.map((row) => ({ uidl: row.uidl, attempts: row.attempts, lastError: row.last_error }));
  }
}
