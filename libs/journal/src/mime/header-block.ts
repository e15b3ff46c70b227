import { COLON, CR, LF, indexOfByte, isWhitespaceByte } from './bytes.js';
import { decodeHeaderBytes } from '../decoding/charset.js';

export interface HeaderField {
  /** The name as written. */
  readonly name: string;
  readonly lowerName: string;
  /** Absolute offset of the field's first byte. */
  readonly start: number;
  /** Absolute offset just past the line break ending its last continuation line. */
  end: number;
  /** Offset of the first value byte, relative to the block. */
  readonly valueFrom: number;
}

/** One parsed header block; `bytes` views the original buffer (or the joined stream pieces). */
export class HeaderBlock {
  private byName: Map<string, HeaderField> | null = null;

  constructor(
    readonly bytes: Buffer,
    /** Absolute offset of the block's first byte. */
    readonly start: number,
    readonly fields: readonly HeaderField[],
    /** True when the block ended because it reached the size limit, not at an empty line. */
    readonly truncated: boolean,
  ) {}

  /** Absolute offset of the first body byte (just past the empty line). */
  get bodyStart(): number {
    return this.start + this.bytes.length;
  }

  /** The first field of that (lower-case) name. */
  get(lowerName: string): HeaderField | undefined {
    if (this.byName === null) {
      this.byName = new Map();
      for (const field of this.fields) if (!this.byName.has(field.lowerName)) this.byName.set(field.lowerName, field);
    }
    return this.byName.get(lowerName);
  }

  /** Unfolded, trimmed value bytes of a field. */
  valueBytes(field: HeaderField): Buffer {
    let end = field.end - this.start;
    if (this.bytes[end - 1] === LF) end--;
    if (this.bytes[end - 1] === CR) end--;
    const raw = this.bytes.subarray(field.valueFrom, Math.max(end, field.valueFrom));
    if (indexOfByte(raw, LF) < 0 && indexOfByte(raw, CR) < 0) return trimBytes(raw);
    const out = Buffer.allocUnsafe(raw.length);
    let length = 0;
    for (const byte of raw) if (byte !== CR && byte !== LF) out[length++] = byte;
    return trimBytes(out.subarray(0, length));
  }

  /** Value as text: 8-bit bytes read as UTF-8, else windows-1252. RFC 2047 words are left alone. */
  text(lowerName: string): string | null {
    const field = this.get(lowerName);
    return field === undefined ? null : decodeHeaderBytes(this.valueBytes(field));
  }
}

function trimBytes(bytes: Buffer): Buffer {
  let from = 0;
  let to = bytes.length;
  while (from < to && isWhitespaceByte(bytes[from])) from++;
  while (to > from && isWhitespaceByte(bytes[to - 1])) to--;
  return bytes.subarray(from, to);
}

function isFieldNameByte(byte: number): boolean {
  return byte > 0x20 && byte < 0x7f && byte !== COLON;
}

/**
 * Splits a header block into fields. Lines that are neither a `name: value` field nor a
 * continuation are skipped (RFC 5322 has no place for them; real mail has them anyway).
 * Scanning stops at the first empty line.
 */
export function parseHeaderFields(bytes: Buffer, baseOffset: number): HeaderField[] {
  const fields: HeaderField[] = [];
  let current: HeaderField | null = null;
  let pos = 0;
  const length = bytes.length;
  while (pos < length) {
    const lf = indexOfByte(bytes, LF, pos);
    const next = lf < 0 ? length : lf + 1;
    const contentEnd = lf < 0 ? length : lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf;
    if (contentEnd === pos) break;
    const first = bytes[pos] as number;
    if (isWhitespaceByte(first)) {
      if (current !== null) current.end = baseOffset + next;
    } else {
      current = null;
      let nameEnd = pos;
      while (nameEnd < contentEnd && isFieldNameByte(bytes[nameEnd] as number)) nameEnd++;
      let colon = nameEnd;
      while (colon < contentEnd && isWhitespaceByte(bytes[colon])) colon++;
      if (nameEnd > pos && bytes[colon] === COLON) {
        const name = bytes.toString('latin1', pos, nameEnd);
        current = {
          name,
          lowerName: name.toLowerCase(),
          start: baseOffset + pos,
          end: baseOffset + next,
          valueFrom: colon + 1,
        };
        fields.push(current);
      }
    }
    pos = next;
  }
  return fields;
}
