import { z } from 'zod';

/**
 * The body of every error response of the status REST API: the one source for the exception
 * filter's type, the OpenAPI `Error` component and the tests' check of every error they receive.
 */
export const apiErrorBodySchema = z.object({
  error: z
    .string()
    .describe('validation | unauthorized | forbidden | not-found | conflict | rate-limited | internal …'),
  message: z.string(),
  fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>;
