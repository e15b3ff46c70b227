import { CsvError, parse } from 'csv-parse/sync';
import { JournalwireError } from '#errors';

/** One CSV record: the 1-based line it starts on and its cells. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/** The most records one import may hold. */
export const MAX_CSV_RECORDS = 200_000;

/**
 * RFC 4180 via csv-parse: comma-separated, double-quoted cells may hold commas, quotes ("")
 * and line breaks; CRLF or LF line ends; a UTF-8 BOM is ignored; a quote inside an unquoted
 * cell is kept as is. Blank records are dropped. A syntax error (an unclosed quote…) fails the
 * whole text with the line where the broken record starts: nothing is guessed.
 */
export function parseCsv(text: string): CsvRecord[] {
  const input = Buffer.from(text, 'utf8');
  const lineStarts = newlineOffsets(input);
  const lineAt = (offset: number): number => 1 + countBelow(lineStarts, offset);
  let rows: Array<{ record: string[]; info: { bytes: number } }>;
  try {
    rows = parse(input, {
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n'],
      to: MAX_CSV_RECORDS + 1,
    }) as unknown as typeof rows;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const startsAt = (error as CsvError & { bytes_records?: number }).bytes_records ?? 0;
    const line = lineAt(skipLineEnds(input, startsAt));
    throw new JournalwireError('validation', `CSV syntax error at line ${line}: ${describe(error)}`, {
      details: { fields: [{ field: `line ${line}`, message: describe(error) }] },
    });
  }
  if (rows.length > MAX_CSV_RECORDS)
    throw new JournalwireError('validation', `The CSV holds more than ${MAX_CSV_RECORDS} records: split the import`);
  const records: CsvRecord[] = [];
  let end = 0;
  for (const { record, info } of rows) {
    const line = lineAt(skipLineEnds(input, end));
    end = info.bytes;
    if (record.some((cell) => cell.trim() !== '')) records.push({ line, cells: record });
  }
  return records;
}

function describe(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return 'a quoted cell is never closed (a " without its closing ")';
  return error.message.replace(/ at line \d+/, '');
}

/** Offsets of every LF, ascending. */
function newlineOffsets(input: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = input.indexOf(0x0a); at !== -1; at = input.indexOf(0x0a, at + 1)) offsets.push(at);
  return offsets;
}

/** How many offsets are below `value` (binary search). */
function countBelow(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A record starts after the line ends (and blank lines) that follow the previous one. */
function skipLineEnds(input: Buffer, offset: number): number {
  let at = offset;
  while (at < input.length && (input[at] === 0x0a || input[at] === 0x0d)) at++;
  return at;
}
