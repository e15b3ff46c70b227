import { createHash, type Hash } from 'node:crypto';
import { COLON, CR, LF, indexOfByte, isWhitespaceByte } from './mime/bytes.js';
import { type ByteSink } from './mime/byte-sink.js';

const EXCLUDED_FIELDS = new Set(['received', 'return-path', 'bcc']);
/** Lower-case first bytes of the excluded names: r, b, x. */
const EXCLUDED_INITIALS = new Set([0x72, 0x62, 0x78]);

/** Header fields left out of the dedup content hash (docs §9): they differ per hop and per report. */
export function isExcludedFromContentHash(lowerName: string): boolean {
  return EXCLUDED_FIELDS.has(lowerName) || lowerName.startsWith('x-ms-exchange-');
}

/**
 * sha256 of a message without the fields `isExcludedFromContentHash` names (continuation lines
 * included), everything else byte for byte. Streams: only a partial header line is buffered.
 */
export class ContentHasher implements ByteSink {
  private readonly hash: Hash = createHash('sha256');
  private inHeader: boolean;
  private excluding = false;
  /** A header line not yet ended, in the pieces it arrived in (joined once, when it ends). */
  private carry: Buffer[] | null = null;
  private carryLength = 0;
  private result: string | null = null;

  constructor(
    filterHeaders = true,
    private readonly maxLineBytes = 1024 * 1024,
  ) {
    this.inHeader = filterHeaders;
  }

  write(chunk: Buffer): void {
    if (!this.inHeader) {
      this.hash.update(chunk);
      return;
    }
    let data = chunk;
    if (this.carry !== null) {
      if (chunk.indexOf(LF) < 0 && this.carryLength + chunk.length <= this.maxLineBytes) {
        this.carry.push(Buffer.from(chunk)); // a copy: a small view must not keep its large parent alive
        this.carryLength += chunk.length;
        return;
      }
      data = Buffer.concat([...this.carry, chunk]);
      this.carry = null;
    }
    this.filterHeaderLines(data, false);
  }

  end(): void {
    if (this.result !== null) return;
    if (this.carry !== null) {
      const rest = Buffer.concat(this.carry);
      this.carry = null;
      this.filterHeaderLines(rest, true);
    }
    this.result = this.hash.digest('hex');
  }

  digest(): string {
    this.end();
    return this.result as string;
  }

  /** Only lines starting like an excluded name get their name decoded (the hot path skips it). */
  private excludedFieldAt(data: Buffer, pos: number, lineEnd: number): boolean {
    const colon = indexOfByte(data, COLON, pos, lineEnd);
    if (colon < 0) return false;
    return isExcludedFromContentHash(data.toString('latin1', pos, colon).trimEnd().toLowerCase());
  }

  private filterHeaderLines(data: Buffer, final: boolean): void {
    let pos = 0;
    let keptFrom = 0;
    while (pos < data.length) {
      const lf = indexOfByte(data, LF, pos);
      if (lf < 0 && !final) {
        if (data.length - pos > this.maxLineBytes) break; // not a header line: hash the rest as is
        if (pos > keptFrom) this.hash.update(data.subarray(keptFrom, pos));
        this.carry = [Buffer.from(data.subarray(pos))];
        this.carryLength = data.length - pos;
        return;
      }
      const next = lf < 0 ? data.length : lf + 1;
      const first = data[pos] as number;
      if (first === LF || (first === CR && data[pos + 1] === LF)) {
        if (this.excluding) keptFrom = pos;
        this.excluding = false;
        this.inHeader = false;
        break;
      }
      if (!isWhitespaceByte(first)) {
        const exclude = EXCLUDED_INITIALS.has(first | 0x20) && this.excludedFieldAt(data, pos, next);
        if (exclude && !this.excluding && pos > keptFrom) this.hash.update(data.subarray(keptFrom, pos));
        if (!exclude && this.excluding) keptFrom = pos;
        this.excluding = exclude;
      }
      pos = next;
      if (this.excluding) keptFrom = pos;
    }
    if (keptFrom < data.length) this.hash.update(data.subarray(keptFrom));
    if (pos < data.length) this.inHeader = false;
  }
}
