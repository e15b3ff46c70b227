import { z } from 'zod';
import type { ListPage } from '#contracts';
import { JournalwireError } from '#errors';
import { expected } from '../http/formats.js';

/**
 * Opaque keyset cursors: base64url of a small JSON position ({ k: the list, p: the last item's
 * key }). Clients pass them back untouched; a cursor of another list or a tampered one is a 400.
 */
export type CursorKey = ReadonlyArray<string | number | null>;

const MAX_CURSOR_CHARS = 2048;

export function encodeCursor(list: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify({ k: list, p: key }), 'utf8').toString('base64url');
}

const positionSchema = z.strictObject({
  k: z.string(),
  p: z.array(z.union([z.string().max(1024), z.number(), z.null()])).max(8),
});

export function decodeCursor(list: string, cursor: string): CursorKey {
  const invalid = () =>
    new JournalwireError('validation', 'Invalid query: cursor: expected a cursor returned as nextCursor by this list', {
      details: { fields: [{ field: 'cursor', message: 'expected a cursor returned as nextCursor by this list' }] },
    });
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const position = positionSchema.safeParse(parsed);
  if (!position.success || position.data.k !== list) throw invalid();
  return position.data.p;
}

/** The `limit` query parameter (1-max). */
export function limitParam(maxLimit: number) {
  return z.coerce
    .number(expected('a limit'))
    .int('expected a whole number')
    .min(1, `expected a limit 1-${maxLimit}`)
    .max(maxLimit, `expected a limit 1-${maxLimit}`);
}

/** The `q` query parameter: search text of up to `maxLength` characters, trimmed; blank is none. */
export function searchParam(maxLength: number) {
  return z
    .string(expected('search text'))
    .trim()
    .max(maxLength, `expected at most ${maxLength} characters`)
    .transform((text) => (text === '' ? undefined : text))
    .optional();
}

/** `cursor` and `limit` query parameters (limit 1-max, default given). */
export function cursorParams(defaultLimit: number, maxLimit: number) {
  return { cursor: cursorParam, limit: limitParam(maxLimit).default(defaultLimit) };
}

export const cursorParam = z
  .string(expected('a cursor returned as nextCursor'))
  .min(1, 'expected a cursor returned as nextCursor')
  .optional();

/** One page of a list; nextCursor is null on the last page (the shape libs/contracts gives every list). */
export type CursorPage<T> = ListPage<T>;

/**
 * Pages rows fetched with `limit + 1`: the extra row only tells that another page exists; the
 * cursor is the last returned row's key.
 */
export function pageOf<T>(list: string, rows: T[], limit: number, keyOf: (row: T) => CursorKey): CursorPage<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(list, keyOf(last)) : null };
}
