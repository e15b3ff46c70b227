import { z } from 'zod';
import { LISTED_OUTCOME_TYPES } from '#contracts';
import { cursorParams } from '../paging/cursor.js';
import { expected } from '../http/formats.js';

export const MAX_OUTCOME_LIMIT = 200;

const TYPE_MESSAGE = `expected one of ${LISTED_OUTCOME_TYPES.join(', ')}`;

/** GET /v1/connectors/:id/outcomes. */
export const outcomesQuerySchema = z.strictObject({
  type: z.enum(LISTED_OUTCOME_TYPES, {
    error: (issue) => (issue.input === undefined ? `is required: ${TYPE_MESSAGE}` : TYPE_MESSAGE),
  }),
  ...cursorParams(50, MAX_OUTCOME_LIMIT),
});
export type OutcomesQuery = z.output<typeof outcomesQuerySchema>;

/** The id of a rejected or dead-lettered message in the list (skipped messages cannot be replayed). */
export const outcomeIdSchema = z
  .string(expected('an outcome id'))
  .regex(/^[1-9]\d{0,18}$/, 'expected the id of a rejected or dead-lettered message from the outcomes list');
