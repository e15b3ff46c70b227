import type { DataSource } from 'typeorm';
import type { ProcessingMark, ProcessingMarks, ProcessingPosition } from '#kafka';

/** The processors' marks of work begun (CrashGuard), one row per group and partition. */
export class PostgresProcessingMarks implements ProcessingMarks {
  constructor(private readonly dataSource: DataSource) {}

  async read({ groupId, topic, partition }: ProcessingPosition): Promise<ProcessingMark | null> {
    const rows: Array<{ first: string; last: string; starts: number; owner: string }> = await this.dataSource.query(
      `SELECT first_offset::text AS first, last_offset::text AS last, starts, owner
         FROM processing_marks WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [groupId, topic, partition],
    );
    return rows[0] ?? null;
  }

  async write({ groupId, topic, partition }: ProcessingPosition, mark: ProcessingMark): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO processing_marks (group_id, topic, partition, first_offset, last_offset, starts, owner, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (group_id, topic, partition) DO UPDATE
          SET first_offset = EXCLUDED.first_offset, last_offset = EXCLUDED.last_offset,
              starts = EXCLUDED.starts, owner = EXCLUDED.owner, updated_at = EXCLUDED.updated_at`,
      [groupId, topic, partition, mark.first, mark.last, mark.starts, mark.owner],
    );
  }
}
