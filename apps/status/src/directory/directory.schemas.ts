import { z } from 'zod';
import { cursorParams, searchParam } from '../paging/cursor.js';
import { domainName, emailAddress, expected, flag, MAX_DOMAIN_LENGTH, MAX_EMAIL_LENGTH } from '../http/formats.js';

/** Directory addresses are matched case-insensitively: stored lower-case. */
export const mailAddress = emailAddress.transform((value) => value.toLowerCase());

const displayName = z
  .string(expected('a display name or null'))
  .max(256, { error: 'expected at most 256 characters', abort: true })
  .trim()
  .nullable();
const aliases = z
  .array(mailAddress, expected('a list of e-mail addresses'))
  .max(500, 'expected at most 500 aliases')
  .transform((list) => [...new Set(list)].sort());

export const domainInputSchema = z.strictObject({
  domain: domainName,
  /** Whether sub.contoso.com counts as internal when contoso.com is listed. */
  includeSubdomains: flag.default(false),
});
export type DomainInput = z.output<typeof domainInputSchema>;

export const domainPatchSchema = z.strictObject({ includeSubdomains: flag });

export const addressInputSchema = z.strictObject({
  address: mailAddress,
  displayName: displayName.optional(),
  aliases: aliases.default([]),
});
export type AddressInput = z.output<typeof addressInputSchema>;

export const addressPatchSchema = z
  .strictObject({ displayName: displayName.optional(), aliases: aliases.optional() })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'expected displayName and/or aliases', path: [] });
export type AddressPatch = z.output<typeof addressPatchSchema>;

export const IMPORT_MODES = ['merge', 'replace'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const importQuerySchema = z.strictObject({
  mode: z.enum(IMPORT_MODES, expected('merge or replace')).default('merge'),
});

/** Entries per list of a JSON import. */
export const MAX_IMPORT_ROWS = 100_000;

/** The JSON import document with `row` as the schema of an entry: the one definition of its limits. */
function importDocument<D extends z.ZodType, A extends z.ZodType>(domainRowSchema: D, addressRowSchema: A) {
  return z.strictObject({
    domains: z
      .array(domainRowSchema, expected('an array'))
      .max(MAX_IMPORT_ROWS, `expected at most ${MAX_IMPORT_ROWS} domains per import`)
      .default([]),
    addresses: z
      .array(addressRowSchema, expected('an array'))
      .max(MAX_IMPORT_ROWS, `expected at most ${MAX_IMPORT_ROWS} addresses per import`)
      .default([]),
  });
}

/** What the server enforces on the document; each row is validated on its own (see DirectoryImportService). */
export const importEnvelopeSchema = importDocument(z.unknown(), z.unknown());

/** A wildcard domain row (`*.contoso.com`) is the domain's length plus its `*.`. */
const WILDCARD_PREFIX = '*.';

/**
 * For the OpenAPI document: the enforced document with its rows spelled out (a string, or the
 * object DomainInput/AddressInput), so the documented limits are the enforced ones.
 */
export const importJsonSchema = importDocument(
  z.union([
    z
      .string()
      .max(MAX_DOMAIN_LENGTH + WILDCARD_PREFIX.length)
      .describe('contoso.com, or *.contoso.com to include subdomains'),
    domainInputSchema,
  ]),
  z.union([z.string().max(MAX_EMAIL_LENGTH).describe('alice@contoso.com'), addressInputSchema]),
);

/** A domain row given as a string: `contoso.com`, or `*.contoso.com` to include subdomains. */
export function domainRow(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const wildcard = value.trim().startsWith(WILDCARD_PREFIX);
  return { domain: wildcard ? value.trim().slice(WILDCARD_PREFIX.length) : value, includeSubdomains: wildcard };
}

export function addressRow(value: unknown): unknown {
  return typeof value === 'string' ? { address: value } : value;
}

export const MAX_DIRECTORY_LIMIT = 1000;

/** GET /v1/directory/domains and /addresses: cursor paging, optional substring search. */
export const directoryListQuerySchema = z.strictObject({
  ...cursorParams(100, MAX_DIRECTORY_LIMIT),
  q: searchParam(320),
});
export type DirectoryListQuery = z.output<typeof directoryListQuerySchema>;
