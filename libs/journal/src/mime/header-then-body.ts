import { CR, LF, indexOfByte, joinPieces } from './bytes.js';
import { type ByteSink } from './byte-sink.js';
import { HeaderBlock, parseHeaderFields } from './header-block.js';

/**
 * Reads an entity's header block (up to the first empty line, or `maxHeaderBytes`), hands it
 * to `onHeader`, and streams the rest into the sink `onHeader` returns. An entity with no empty
 * line is all header; one over the limit gets a `truncated` block and the rest goes to the body.
 */
export class HeaderThenBody implements ByteSink {
  private pieces: Buffer[] = [];
  private length = 0;
  private start: number | null = null;
  private atLineStart = true;
  private crAtLineStart = false;
  private body: ByteSink | null = null;
  header: HeaderBlock | null = null;
  endOffset: number | null = null;

  constructor(
    private readonly maxHeaderBytes: number,
    private readonly onHeader: (block: HeaderBlock) => ByteSink,
  ) {}

  get satisfied(): boolean {
    return this.body !== null && this.body.satisfied === true;
  }

  write(chunk: Buffer, offset: number): void {
    if (this.body !== null) {
      if (chunk.length > 0 && this.body.satisfied !== true) this.body.write(chunk, offset);
      return;
    }
    this.start ??= offset;
    const room = this.maxHeaderBytes - this.length;
    const headerEnd = this.findHeaderEnd(chunk, Math.min(chunk.length, room + 1));
    if (headerEnd >= 0 && headerEnd <= room) {
      this.pieces.push(chunk.subarray(0, headerEnd));
      this.length += headerEnd;
      this.completeHeader(false);
      if (headerEnd < chunk.length) this.write(chunk.subarray(headerEnd), offset + headerEnd);
      return;
    }
    if (chunk.length > room) {
      this.pieces.push(chunk.subarray(0, room));
      this.length += room;
      this.completeHeader(true);
      this.write(chunk.subarray(room), offset + room);
      return;
    }
    this.pieces.push(chunk);
    this.length += chunk.length;
  }

  end(offset: number): void {
    this.start ??= offset;
    if (this.body === null) this.completeHeader(false);
    this.endOffset = offset;
    (this.body as ByteSink).end(offset);
  }

  private completeHeader(truncated: boolean): void {
    const bytes = joinPieces(this.pieces, this.length);
    this.pieces = [];
    const start = this.start as number;
    this.header = new HeaderBlock(bytes, start, parseHeaderFields(bytes, start), truncated);
    this.body = this.onHeader(this.header);
  }

  /** Index just past the empty line ending the header block, or -1; state carries across chunks. */
  private findHeaderEnd(chunk: Buffer, n: number): number {
    let i = 0;
    while (i < n) {
      if (this.atLineStart) {
        const byte = chunk[i];
        if (this.crAtLineStart) {
          this.crAtLineStart = false;
          if (byte === LF) return i + 1;
          this.atLineStart = false;
        } else if (byte === LF) {
          return i + 1;
        } else if (byte === CR) {
          this.crAtLineStart = true;
          i++;
          continue;
        } else {
          this.atLineStart = false;
        }
      }
      const lf = indexOfByte(chunk, LF, i, n);
      if (lf < 0) return -1;
      i = lf + 1;
      this.atLineStart = true;
    }
    return -1;
  }
}
