import { describe, expect, it } from 'vitest';
import { componentSchemas } from '../openapi/components.js';
import { MAX_DOMAIN_LENGTH, MAX_EMAIL_LENGTH } from '../http/formats.js';
import { rowsFromJson } from './import-rows.js';
import { addressInputSchema, domainInputSchema, MAX_IMPORT_ROWS } from './directory.schemas.js';

interface Documented {
  additionalProperties?: boolean;
  properties: Record<'domains' | 'addresses', { maxItems?: number; items: { anyOf: Array<{ maxLength?: number }> } }>;
}

const documented = componentSchemas()['DirectoryImport'] as Documented;

/** A valid domain name of exactly `length` characters (labels of at most 63). */
function domainOfLength(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 64) {
    labels.push('a'.repeat(63));
    left -= 64;
  }
  return [...labels, 'b'.repeat(left - 4) + '.com'].join('.');
}

describe('DirectoryImport in the OpenAPI document: the limits the server enforces', () => {
  it('documents the enforced row count and refuses unknown fields, as the server does', () => {
    expect(documented.additionalProperties).toBe(false);
    for (const list of ['domains', 'addresses'] as const) {
      expect(documented.properties[list].maxItems).toBe(MAX_IMPORT_ROWS);
      expect(() => rowsFromJson({ [list]: new Array(MAX_IMPORT_ROWS + 1).fill('x') })).toThrow(
        `at most ${MAX_IMPORT_ROWS}`,
      );
    }
    expect(() => rowsFromJson({ extra: [] })).toThrow();
  });

  it('documents string rows at the length the row validation accepts and no longer', () => {
    const [domainString] = documented.properties.domains.items.anyOf;
    const [addressString] = documented.properties.addresses.items.anyOf;
    expect(domainString!.maxLength).toBe(MAX_DOMAIN_LENGTH + 2);
    expect(addressString!.maxLength).toBe(MAX_EMAIL_LENGTH);

    const valid = (row: { kind: string; value: unknown }) =>
      (row.kind === 'domain' ? domainInputSchema : addressInputSchema).safeParse(row.value).success;
    const longest = `*.${domainOfLength(MAX_DOMAIN_LENGTH)}`;
    expect(longest).toHaveLength(domainString!.maxLength!);
    expect(rowsFromJson({ domains: [longest] }).every(valid)).toBe(true);
    expect(rowsFromJson({ domains: [`*.a${longest.slice(2)}`] }).every(valid)).toBe(false);

    const tooLong = addressInputSchema.safeParse({ address: `a@${domainOfLength(MAX_EMAIL_LENGTH - 1)}` });
    expect(tooLong.error?.issues[0]?.message).toBe(`expected at most ${MAX_EMAIL_LENGTH} characters`);
  });
});
