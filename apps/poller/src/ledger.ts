import type { DataSource } from 'typeorm';

export interface LedgerEntry {
  uidl: string;
  sha256: string;
  size: number;
}

export interface LedgerState {
  sha256: string;
  /** Set once a QUIT after the DELE succeeded: the message is gone from the mailbox. */
  deletedAt: Date | null;
}

/** What the session needs from the extraction ledger (a port, so sessions can be unit-tested). */
export interface LedgerPort {
  lookup(connectorId: string, uidls: string[]): Promise<Map<string, LedgerState>>;
  recordPublished(connectorId: string, entries: LedgerEntry[]): Promise<void>;
  markDeleted(connectorId: string, uidls: string[]): Promise<void>;
  countPublished(connectorId: string): Promise<number>;
  lastPublishedAt(connectorId: string): Promise<Date | null>;
}

/**
 * The extraction ledger (PostgreSQL): a UIDL here was durably published and is never published
 * again while the message may still be in the mailbox. Bulk statements, one round trip each.
 */
export class ExtractionLedger implements LedgerPort {
  constructor(private readonly dataSource: DataSource) {}

  async lookup(connectorId: string, uidls: string[]): Promise<Map<string, LedgerState>> {
    const found = new Map<string, LedgerState>();
    if (uidls.length === 0) return found;
    const rows: Array<{ uidl: string; sha256: string; deleted_at: Date | null }> = await this.dataSource.query(
      'SELECT uidl, sha256, deleted_at FROM extraction_ledger WHERE connector_id = $1 AND uidl = ANY($2::text[])',
      [connectorId, uidls],
    );
    for (const row of rows) found.set(row.uidl, { sha256: row.sha256, deletedAt: row.deleted_at });
    return found;
  }

  /**
   * Records published messages. A row whose message was confirmed deleted (deleted_at set) is
   * replaced: the server reused the UIDL for a new message, which this publish covered.
   */
  async recordPublished(connectorId: string, entries: LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO extraction_ledger (connector_id, uidl, sha256, size, published_at, deleted_at)
       SELECT $1, e.uidl, e.sha256, e.size, now(), NULL
         FROM unnest($2::text[], $3::text[], $4::bigint[]) AS e(uidl, sha256, size)
       ON CONFLICT (connector_id, uidl) DO UPDATE
         SET sha256 = EXCLUDED.sha256, size = EXCLUDED.size, published_at = EXCLUDED.published_at, deleted_at = NULL
         WHERE extraction_ledger.deleted_at IS NOT NULL`,
      [connectorId, entries.map((e) => e.uidl), entries.map((e) => e.sha256), entries.map((e) => String(e.size))],
    );
  }

  async markDeleted(connectorId: string, uidls: string[]): Promise<void> {
    if (uidls.length === 0) return;
    await this.dataSource.query(
      'UPDATE extraction_ledger SET deleted_at = now() WHERE connector_id = $1 AND uidl = ANY($2::text[]) AND deleted_at IS NULL',
      [connectorId, uidls],
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

export interface RetrievalFailuresPort {
  lookup(connectorId: string, uidls: string[]): Promise<Map<string, RetrievalFailure>>;
  /** Counts one more refused retrieval; returns the attempts so far. */
  record(connectorId: string, uidl: string, error: string): Promise<number>;
  clear(connectorId: string, uidls: string[]): Promise<void>;
  clearAll(connectorId: string): Promise<void>;
  /** Messages given up on (attempts >= maxAttempts). */
  listSkipped(connectorId: string, maxAttempts: number): Promise<RetrievalFailure[]>;
}

/** Messages the server refused to return (retrieval_failures). */
export class RetrievalFailures implements RetrievalFailuresPort {
  constructor(private readonly dataSource: DataSource) {}

  async lookup(connectorId: string, uidls: string[]): Promise<Map<string, RetrievalFailure>> {
    const found = new Map<string, RetrievalFailure>();
    if (uidls.length === 0) return found;
    const rows: Array<{ uidl: string; attempts: number; last_error: string }> = await this.dataSource.query(
      'SELECT uidl, attempts, last_error FROM retrieval_failures WHERE connector_id = $1 AND uidl = ANY($2::text[])',
      [connectorId, uidls],
    );
    for (const row of rows) found.set(row.uidl, { uidl: row.uidl, attempts: row.attempts, lastError: row.last_error });
    return found;
  }

  async record(connectorId: string, uidl: string, error: string): Promise<number> {
    const rows: Array<{ attempts: number }> = await this.dataSource.query(
      `INSERT INTO retrieval_failures (connector_id, uidl, attempts, last_error, updated_at) VALUES ($1, $2, 1, $3, now())
       ON CONFLICT (connector_id, uidl) DO UPDATE SET attempts = retrieval_failures.attempts + 1, last_error = EXCLUDED.last_error, updated_at = now()
       RETURNING attempts`,
      [connectorId, uidl, error],
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

  async listSkipped(connectorId: string, maxAttempts: number): Promise<RetrievalFailure[]> {
    const rows: Array<{ uidl: string; attempts: number; last_error: string }> = await this.dataSource.query(
      'SELECT uidl, attempts, last_error FROM retrieval_failures WHERE connector_id = $1 AND attempts >= $2 ORDER BY updated_at LIMIT 1000',
      [connectorId, maxAttempts],
    );
    return rows.map((row) => ({ uidl: row.uidl, attempts: row.attempts, lastError: row.last_error }));
  }
}
