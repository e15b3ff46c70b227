import { JournalwireError } from '#errors';
import { parseInput } from '../http/validation.js';
import { parseCsv } from './csv.js';
import { addressRow, domainRow, importEnvelopeSchema } from './directory.schemas.js';

/** One row of an import before validation; `row` says where it came from (`line 3`, `domains[0]`). */
export interface ImportRow {
  row: string;
  kind: 'domain' | 'address';
  value: unknown;
}

export interface RowError {
  row: string;
  value: string;
  message: string;
}

const TRUE_WORDS = new Set(['subdomains', 'include-subdomains', 'includesubdomains', 'true', 'yes', '1']);
const FALSE_WORDS = new Set(['', 'exact', 'false', 'no', '0']);

/** `{ "domains": [...], "addresses": [...] }`, each entry a plain string or an object. */
export function rowsFromJson(body: unknown): ImportRow[] {
  const document = parseInput(importEnvelopeSchema, body ?? {}, 'import document');
  return [
    ...document.domains.map((value, index): ImportRow => ({
      row: `domains[${index}]`,
      kind: 'domain',
      value: domainRow(value),
    })),
    ...document.addresses.map((value, index): ImportRow => ({
      row: `addresses[${index}]`,
      kind: 'address',
      value: addressRow(value),
    })),
  ];
}

/**
 * CSV, one entry per line (blank lines and lines starting with # are skipped; a first line
 * starting with `type` is a header):
 *
 *   domain,contoso.com                         exact domain
 *   domain,contoso.com,subdomains              domain and its subdomains
 *   address,alice@contoso.com                  known address
 *   address,alice@contoso.com,al@contoso.com;a.smith@contoso.com,"Smith, Alice"
 *                                              aliases (;-separated) and an optional display name
 */
export function rowsFromCsv(text: string): { rows: ImportRow[]; errors: RowError[] } {
  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  parseCsv(text).forEach(({ line, cells }, index) => {
    const type = cells[0]!.trim().toLowerCase();
    const row = `line ${line}`;
    const value = cells.join(',');
    if (type.startsWith('#') || (index === 0 && type === 'type')) return;
    if (type === 'domain') {
      if (cells.length > 3) return void errors.push({ row, value, message: 'expected domain,<domain>[,subdomains]' });
      const option = (cells[2] ?? '').trim().toLowerCase();
      if (!TRUE_WORDS.has(option) && !FALSE_WORDS.has(option))
        return void errors.push({
          row,
          value,
          message: `expected "subdomains" or nothing in the third column, got "${cells[2]}"`,
        });
      rows.push({ row, kind: 'domain', value: { domain: cells[1] ?? '', includeSubdomains: TRUE_WORDS.has(option) } });
    } else if (type === 'address') {
      if (cells.length > 4)
        return void errors.push({
          row,
          value,
          message:
            'expected address,<address>[,<alias>;<alias>…][,<display name>] (quote a display name holding a comma)',
        });
      const aliases = (cells[2] ?? '')
        .split(';')
        .map((alias) => alias.trim())
        .filter(Boolean);
      const displayName = cells[3]?.trim();
      rows.push({
        row,
        kind: 'address',
        value: { address: cells[1] ?? '', aliases, ...(displayName ? { displayName } : {}) },
      });
    } else {
      errors.push({ row, value, message: `unknown row type "${cells[0]}": expected domain or address` });
    }
  });
  return { rows, errors };
}

export function noRows(): JournalwireError {
  return new JournalwireError(
    'validation',
    'The import holds no rows: send {"domains": [...], "addresses": [...]} as JSON or domain/address lines as text/csv',
  );
}
