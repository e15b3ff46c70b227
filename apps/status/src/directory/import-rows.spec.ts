import { describe, expect, it } from 'vitest';
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
});
