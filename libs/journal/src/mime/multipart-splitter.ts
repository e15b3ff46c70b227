import { CR, LF, isWhitespaceByte } from './bytes.js';
import { NULL_SINK, type ByteSink } from './byte-sink.js';

/** Transport padding accepted after a delimiter; more is no delimiter (and bounds hold-back). */
const MAX_PADDING = 1024;

/**
 * Splits a multipart body into its parts (RFC 2046 §5.1.1) as bytes stream through, without
 * buffering part contents. A delimiter is `--boundary` at the start of a line, optionally
 * followed by `--` (close) and transport padding, then a line break; the line break before it
 * belongs to the delimiter, so a part ends just before that line break. Preamble and epilogue
 * are dropped.
 */
export class MultipartSplitter implements ByteSink {
  private readonly delimiter: Buffer;
  private carry: Buffer = Buffer.alloc(0);
  private carryOffset = 0;
  /** Whether the byte before the carry ends a line (true at the body start). */
  private carryAtLineStart = true;
  private current: ByteSink = NULL_SINK;
  private inPart = false;
  private finished = false;
  partCount = 0;
  closed = false;

  constructor(
    boundary: string,
    private readonly onPart: (index: number, start: number) => ByteSink,
  ) {
    this.delimiter = Buffer.from(`--${boundary}`, 'latin1');
  }

  write(chunk: Buffer, offset: number): void {
    if (this.finished || chunk.length === 0) return;
    if (this.carry.length === 0) {
      this.process(chunk, offset, false);
    } else if (this.delimiterNearSeam(chunk)) {
      this.process(Buffer.concat([this.carry, chunk]), this.carryOffset, false);
    } else {
      // Most chunks: the held-back tail starts no delimiter, so it is content and the chunk
      // can be scanned where it lies instead of being copied behind the tail.
      const carry = this.carry;
      this.emit(carry, 0, carry.length, this.carryOffset);
      this.carryAtLineStart = carry[carry.length - 1] === LF || carry[carry.length - 1] === CR;
      this.carry = Buffer.alloc(0);
      this.process(chunk, offset, false);
    }
  }

  /** Whether a delimiter, or the line break before it, may start in the carry. */
  private delimiterNearSeam(chunk: Buffer): boolean {
    // too short to rule out a delimiter that starts near the seam and ends beyond the chunk
    if (chunk.length < this.delimiter.length + 2) return true;
    const seam = Buffer.concat([this.carry, chunk.subarray(0, this.delimiter.length + MAX_PADDING + 4)]);
    const index = seam.indexOf(this.delimiter);
    return index >= 0 && index <= this.carry.length + 2;
  }

  end(offset: number): void {
    if (!this.finished) this.process(this.carry, this.carryOffset, true);
    if (this.inPart) {
      this.current.end(offset);
      this.inPart = false;
    }
    this.finished = true;
  }

  private process(data: Buffer, base: number, final: boolean): void {
    const delimiter = this.delimiter;
    let emitFrom = 0;
    let search = 0;
    let holdFrom = -1;
    while (search < data.length) {
      const index = data.indexOf(delimiter, search);
      if (index < 0) break;
      const atLineStart = index === 0 ? this.carryAtLineStart : data[index - 1] === LF || data[index - 1] === CR;
      if (!atLineStart) {
        search = index + 1;
        continue;
      }
      const match = this.matchDelimiterLine(data, index + delimiter.length, final);
      if (match === 'incomplete') {
        holdFrom = index;
        break;
      }
      if (match === null) {
        search = index + 1;
        continue;
      }
      let contentEnd = index;
      if (index > 0 && data[index - 1] === LF) contentEnd--;
      if (contentEnd > 0 && data[contentEnd - 1] === CR) contentEnd--;
      else if (index > 0 && data[index - 1] === CR) contentEnd = index - 1;
      this.emit(data, emitFrom, Math.max(contentEnd, emitFrom), base);
      if (this.inPart) this.current.end(base + Math.max(contentEnd, emitFrom));
      this.inPart = false;
      if (match.close) {
        this.closed = true;
        this.finished = true;
        this.carry = Buffer.alloc(0);
        return;
      }
      const partStart = base + match.lineEnd;
      this.current = this.onPart(this.partCount++, partStart);
      this.inPart = true;
      emitFrom = match.lineEnd;
      search = match.lineEnd;
    }
    // Hold back what may still become a delimiter together with the line break before it.
    let keepFrom = final ? data.length : Math.max(emitFrom, data.length - delimiter.length - 2);
    if (holdFrom >= 0) keepFrom = Math.max(emitFrom, Math.min(keepFrom, holdFrom - 2));
    this.emit(data, emitFrom, keepFrom, base);
    this.carry = data.subarray(keepFrom);
    this.carryOffset = base + keepFrom;
    this.carryAtLineStart =
      keepFrom === 0 ? this.carryAtLineStart : data[keepFrom - 1] === LF || data[keepFrom - 1] === CR;
  }

  private emit(data: Buffer, from: number, to: number, base: number): void {
    if (to > from && this.inPart && this.current.satisfied !== true)
      this.current.write(data.subarray(from, to), base + from);
  }

  /** Checks what follows `--boundary`: returns where the delimiter line ends, or null if not one. */
  private matchDelimiterLine(
    data: Buffer,
    from: number,
    final: boolean,
  ): { close: boolean; lineEnd: number } | 'incomplete' | null {
    let pos = from;
    if (pos + 1 >= data.length && !final) return 'incomplete';
    const close = data[pos] === 0x2d && data[pos + 1] === 0x2d;
    if (close) pos += 2;
    // bounded, so a delimiter followed by megabytes of blanks is not held back (and rescanned) whole
    while (pos < data.length && pos - from <= MAX_PADDING && isWhitespaceByte(data[pos])) pos++;
    if (pos - from > MAX_PADDING) return null;
    if (pos >= data.length) return final ? { close, lineEnd: pos } : 'incomplete';
    const byte = data[pos];
    if (byte === LF) return { close, lineEnd: pos + 1 };
    if (byte === CR) {
      if (pos + 1 >= data.length && !final) return 'incomplete';
      return { close, lineEnd: data[pos + 1] === LF ? pos + 2 : pos + 1 };
    }
    // A close delimiter may be followed by anything on its line: the epilogue is dropped anyway.
    return close ? { close, lineEnd: pos } : null;
  }
}
