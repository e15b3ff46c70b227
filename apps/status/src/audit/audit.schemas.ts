import { z } from 'zod';
import { expected } from '../platform/formats.js';

const paging = {
  page: z.coerce
    .number(expected('a page number'))
    .int('expected a whole page number')
    .min(1, 'expected a page number 1-1000000')
    .max(1_000_000, 'expected a page number 1-1000000')
    .default(1),
  pageSize: z.coerce
    .number(expected('a page size'))
    .int('expected a whole page size')
    .min(1, 'expected a page size 1-200')
    .max(200, 'expected a page size 1-200')
    .default(50),
};

/** GET /v1/connectors/:id/audit and /events. */
export const pageQuerySchema = z.strictObject(paging);

/** GET /v1/audit. */
export const auditQuerySchema = z.strictObject({
  ...paging,
  connectorId: z.uuid('expected a connector id (UUID)').optional(),
  action: z
    .string(expected('an action such as connector.updated'))
    .max(100, 'expected at most 100 characters')
    .regex(/^[a-z.-]+$/, 'expected an action such as connector.updated')
    .optional(),
});
