import { JournalwireError } from '#errors';
import { LessThan, type FindOptionsWhere, type ObjectLiteral, type Repository } from 'typeorm';
import { decodeCursor, encodeCursor, pageOf, type CursorPage } from './cursor.js';

/** The paging parameters of an append-only log (page/pageSize or cursor/limit, never both). */
export interface LogPaging {
  page?: number | undefined;
  pageSize?: number | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
}

/** A log page: always nextCursor; page, pageSize and total only in the offset mode. */
export type LogPage<T> = CursorPage<T> & { page?: number; pageSize?: number; total?: number };

const DEFAULT_SIZE = 50;

/**
 * Newest first by the bigint id of an append-only log. With cursor or limit: keyset paging
 * (id below the cursor's). Otherwise the older offset paging with a total, plus a nextCursor
 * so a client can switch to cursors after the first page.
 */
export async function newestFirst<E extends ObjectLiteral & { id: string }, V>(
  repository: Repository<E>,
  where: FindOptionsWhere<E>,
  paging: LogPaging,
  list: string,
  view: (row: E) => V,
): Promise<LogPage<V>> {
  const order = { id: 'DESC' } as never;
  if (paging.cursor !== undefined || paging.limit !== undefined) {
    const limit = paging.limit ?? DEFAULT_SIZE;
    const whereAfter =
      paging.cursor === undefined ? where : { ...where, id: LessThan(logIdOf(decodeCursor(list, paging.cursor))) };
    const rows = await repository.find({ where: whereAfter, order, take: limit + 1 });
    const page = pageOf(list, rows, limit, (row) => [row.id]);
    return { items: page.items.map(view), nextCursor: page.nextCursor };
  }
  const page = paging.page ?? 1;
  const pageSize = paging.pageSize ?? DEFAULT_SIZE;
  const [rows, total] = await repository.findAndCount({ where, order, skip: (page - 1) * pageSize, take: pageSize });
  const last = rows[rows.length - 1];
  const nextCursor = last !== undefined && page * pageSize < total ? encodeCursor(list, [last.id]) : null;
  return { items: rows.map(view), nextCursor, page, pageSize, total };
}

function logIdOf(key: ReadonlyArray<string | number | null>): string {
  const [id] = key;
  if (key.length !== 1 || typeof id !== 'string' || !/^\d{1,19}$/.test(id))
    throw new JournalwireError(
      'validation',
      'Invalid query: cursor: expected a cursor returned as nextCursor by this list',
      {
        details: { fields: [{ field: 'cursor', message: 'expected a cursor returned as nextCursor by this list' }] },
      },
    );
  return id;
}
