import { describe, expect, it } from 'vitest';
import { isJournalwireError } from '#errors';
import { parseCsv } from './csv.js';
import { rowsFromCsv, rowsFromJson } from './import-rows.js';

describe('parseCsv', () => {
  it('reads quoted cells with commas, quotes and line breaks, CRLF or LF, and skips blank lines', () => {
    const records = parseCsv('\uFEFFa,"b, c","say ""hi"""\r\n\r\n"multi\nline",x\nlast');
    expect(records).toEqual([
      { line: 1, cells: ['a', 'b, c', 'say "hi"'] },
      { line: 3, cells: ['multi\nline', 'x'] },
      { line: 5, cells: ['last'] },
    ]);
  });

  it('refuses an unclosed quote with the line where it opens, instead of folding the rest into one cell', () => {
    try {
      parseCsv('domain,a.com\n\ndomain,"b.com\ndomain,c.com\ndomain,d.com\n');
      expect.unreachable();
    } catch (error) {
      expect(isJournalwireError(error, 'validation')).toBe(true);
      expect((error as Error).message).toMatch(/line 3: .*never closed/);
    }
  });

  it('keeps a quote inside an unquoted cell as is', () => {
    expect(parseCsv('address,a@b.com,,Bob "the" Builder')).toEqual([
      { line: 1, cells: ['address', 'a@b.com', '', 'Bob "the" Builder'] },
    ]);
  });

  it('reads a large hostile file (100,001 quote characters, 20,000 records) in one pass', () => {
    expect(() => parseCsv(`x,${'"'.repeat(100_001)}`)).toThrow(/line 1/);
    const many = Array.from({ length: 20_000 }, (_, i) => `domain,d${i}.com`).join('\n');
    const records = parseCsv(many);
    expect(records).toHaveLength(20_000);
    expect(records.at(-1)).toEqual({ line: 20_000, cells: ['domain', 'd19999.com'] });
  });
});

describe('rowsFromCsv', () => {
  it('turns domain and address lines into rows and reports malformed lines by number', () => {
    const { rows, errors } = rowsFromCsv(
      'type,value\ndomain,contoso.com,subdomains\naddress,a@contoso.com,b@contoso.com;c@contoso.com,"A, B"\n# note\nuser,x\ndomain,x.com,sometimes',
    );
    expect(rows).toEqual([
      { row: 'line 2', kind: 'domain', value: { domain: 'contoso.com', includeSubdomains: true } },
      {
        row: 'line 3',
        kind: 'address',
        value: { address: 'a@contoso.com', aliases: ['b@contoso.com', 'c@contoso.com'], displayName: 'A, B' },
      },
    ]);
    expect(errors.map((e) => e.row)).toEqual(['line 5', 'line 6']);
  });
});

describe('rowsFromJson', () => {
  it('accepts plain strings (with *. for subdomains) and objects', () => {
    expect(rowsFromJson({ domains: ['*.contoso.com', { domain: 'x.com' }], addresses: ['a@x.com'] })).toEqual([
      { row: 'domains[0]', kind: 'domain', value: { domain: 'contoso.com', includeSubdomains: true } },
      { row: 'domains[1]', kind: 'domain', value: { domain: 'x.com' } },
      { row: 'addresses[0]', kind: 'address', value: { address: 'a@x.com' } },
    ]);
    expect(() => rowsFromJson({ domains: 'contoso.com' })).toThrow(/domains/);
  });

  it('bounds the number of rows', () => {
    expect(() => rowsFromJson({ domains: Array.from({ length: 100_001 }, () => 'a.com') })).toThrow(/at most/);
  });
});
