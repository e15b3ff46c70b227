import { z } from 'zod';
import { cursorParam, limitParam } from '../paging/cursor.js';
import { expected } from '../http/formats.js';

const paging = {
  page: z.coerce
    .number(expected('a page number'))
    .int('expected a whole page number')
    .min(1, 'expected a page number 1-1000000')
    .max(1_000_000, 'expected a page number 1-1000000')
    .optional(),
  pageSize: z.coerce
    .number(expected('a page size'))
    .int('expected a whole page size')
    .min(1, 'expected a page size 1-200')
    .max(200, 'expected a page size 1-200')
    .optional(),
  // Cursor paging (preferred): `limit` instead of pageSize, `cursor` instead of page.
  cursor: cursorParam,
  limit: limitParam(200).optional(),
};

/** page/pageSize (offset, with total) and cursor/limit are two ways of paging: one at a time. */
function onePagingMode<
  T extends {
    page?: number | undefined;
    pageSize?: number | undefined;
    cursor?: string | undefined;
    limit?: number | undefined;
  },
>(query: T, context: z.RefinementCtx): void {
  if (
    (query.cursor !== undefined || query.limit !== undefined) &&
    (query.page !== undefined || query.pageSize !== undefined)
  )
    context.addIssue({
      code: 'custom',
      path: ['cursor'],
      message: 'expected either cursor/limit or page/pageSize, not both',
    });
}

/** Defaults of the offset mode. */
export const DEFAULT_PAGE_SIZE = 50;

/** GET /v1/connectors/:id/audit and /events. */
export const pageQuerySchema = z.strictObject(paging).superRefine(onePagingMode);

/** GET /v1/audit. */
export const auditQuerySchema = z
  .strictObject({
    ...paging,
    connectorId: z.uuid('expected a connector id (UUID)').optional(),
    action: z
      .string(expected('an action such as connector.updated'))
      .max(100, 'expected at most 100 characters')
      .regex(/^[a-z.-]+$/, 'expected an action such as connector.updated')
      .optional(),
  })
  .superRefine(onePagingMode);

export type PageQuery = z.output<typeof pageQuerySchema>;
