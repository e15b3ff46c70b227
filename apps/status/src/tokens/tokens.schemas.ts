import { z } from 'zod';
import { TOKEN_SCOPES } from '#contracts';
import { expected } from '../http/formats.js';

/** POST /v1/tokens. */
export const createTokenSchema = z
  .strictObject({
    name: z
      .string(expected('a token name'))
      .trim()
      .min(1, 'expected a token name (not empty)')
      .max(100, 'expected at most 100 characters')
      .refine((value) => !/[\r\n\0]/.test(value), 'must not contain line breaks or NUL'),
    scope: z.enum(TOKEN_SCOPES, expected(`one of: ${TOKEN_SCOPES.join(', ')}`)),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'expected an ISO time such as 2027-01-31T00:00:00Z' })
      .max(40)
      .refine((value) => new Date(value).getTime() > Date.now(), 'expected a time in the future')
      .nullable()
      .optional(),
    expiresInDays: z
      .number(expected('a number of days 1-3650'))
      .int('expected a number of days 1-3650')
      .min(1, 'expected a number of days 1-3650')
      .max(3650, 'expected a number of days 1-3650')
      .optional(),
  })
  .refine((input) => !(input.expiresAt && input.expiresInDays !== undefined), {
    message: 'give expiresAt or expiresInDays, not both',
    path: ['expiresInDays'],
  });
export type CreateTokenInput = z.output<typeof createTokenSchema>;

export function expiryOf(input: CreateTokenInput, now = Date.now()): Date | null {
  if (input.expiresInDays !== undefined) return new Date(now + input.expiresInDays * 86_400_000);
  return input.expiresAt ? new Date(input.expiresAt) : null;
}
