import type { RecordHeaders } from './records.js';

/** Reads a Kafka header as a UTF-8 string (a Buffer, a repeated header's first value, or undefined). */
export function headerString(headers: RecordHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

/** Converts a headers record to the string map the contracts validate. */
export function headersToStrings(headers: RecordHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers ?? {})) {
    const value = headerString(headers, name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
