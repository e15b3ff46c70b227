const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const HELD_CR = Buffer.from('\r', 'latin1');

/** Receives decoded bytes as a range of a buffer (no view is allocated for it). */
export type DecodedRangeSink = (source: Buffer, start: number, end: number) => void;

/** Where the decoder stands between two chunks. Only these states need memory across a chunk boundary. */
const enum Position {
  /** Inside a line; the previous byte was not CR. */
  MidLine,
  /** Inside a line; the previous byte was CR (an LF would end the line). */
  AfterCr,
  /** At the first byte of a line. */
  LineStart,
  /** A line started with "." (held back: it is either byte-stuffing or the terminator). */
  Dot,
  /** A line started with ".\r" (held back: an LF next completes the terminator). */
  DotCr,
}

/**
 * Decodes the body of a POP3 multi-line response (RFC 1939 §3) at the byte level:
 * removes the byte-stuffed leading "." of each line and stops at the ".\r\n" terminator line.
 * The body keeps every byte, including the CRLF that precedes the terminator line.
 *
 * Chunks may split the data anywhere. Decoded bytes are handed out as ranges of the input chunks
 * (no copy); most chunks yield a single range.
 */
export class MultilineDecoder {
  private position = Position.LineStart;

  constructor(private readonly emit: DecodedRangeSink) {}

  /** Starts a new body (the first byte after a status line is at a line start). */
  reset(): void {
    this.position = Position.LineStart;
  }

  /**
   * Decodes `chunk` from `start`. Returns the index just past the terminator when the body ends in
   * this chunk (bytes from there on belong to the next response), or -1 when more data is needed.
   */
  decode(chunk: Buffer, start = 0): number {
    const end = chunk.length;
    let index = start;
    let pieceStart = start;

    // Settle the state carried over from the previous chunk, one byte at a time.
    while (this.position !== Position.MidLine) {
      if (index >= end) {
        this.emitRange(chunk, pieceStart, end);
        return -1;
      }
      const byte = chunk[index];
      switch (this.position) {
        case Position.AfterCr:
          if (byte === LF) {
            index += 1;
            this.position = Position.LineStart;
          } else {
            this.position = Position.MidLine;
          }
          break;
        case Position.LineStart:
          if (byte === DOT) {
            this.emitRange(chunk, pieceStart, index);
            index += 1;
            pieceStart = index;
            this.position = Position.Dot;
          } else {
            this.position = Position.MidLine;
          }
          break;
        case Position.Dot:
          if (byte === CR) {
            index += 1;
            pieceStart = index;
            this.position = Position.DotCr;
          } else {
            // A stuffed dot: it stays dropped, the line continues with this byte.
            this.position = Position.MidLine;
          }
          break;
        case Position.DotCr:
          if (byte === LF) {
            this.position = Position.LineStart;
            return index + 1;
          }
          // "." + CR + something else: a stuffed line that starts with CR.
          this.emit(HELD_CR, 0, 1);
          this.position = Position.MidLine;
          break;
      }
    }

    // Fast path: jump from one line-leading dot to the next.
    for (;;) {
      const dotAt = findLineLeadingDot(chunk, index, start);
      if (dotAt === -1) {
        this.emitRange(chunk, pieceStart, end);
        this.position = positionAtEnd(chunk, start, end);
        return -1;
      }
      this.emitRange(chunk, pieceStart, dotAt);
      const afterDot = dotAt + 1;
      if (afterDot >= end) {
        this.position = Position.Dot;
        return -1;
      }
      if (chunk[afterDot] === CR) {
        if (afterDot + 1 >= end) {
          this.position = Position.DotCr;
          return -1;
        }
        if (chunk[afterDot + 1] === LF) {
          this.position = Position.LineStart;
          return afterDot + 2;
        }
      }
      // Byte-stuffed line: drop the leading dot, keep the rest.
      pieceStart = afterDot;
      index = afterDot;
    }
  }

  private emitRange(chunk: Buffer, from: number, to: number): void {
    if (to > from) this.emit(chunk, from, to);
  }
}

const LF_DOT = Buffer.from('\n.', 'latin1');
/** Dots that do not lead a line, tolerated before switching to the "\n." search. */
const DOT_MISSES_BEFORE_SWITCH = 4;

/**
 * The index of the next "." that follows a CRLF, from `from` on. Searching for the single byte "."
 * (memchr) is fastest when dots are rare (base64 parts have none; CR is on every line); on text
 * with many dots, searching for "\n." avoids a call per dot. A CRLF before `start` cannot precede
 * a line-leading dot here, or the state carried over would not have been MidLine.
 */
function findLineLeadingDot(chunk: Buffer, from: number, start: number): number {
  let misses = 0;
  for (let dotAt = chunk.indexOf(DOT, from); dotAt !== -1; dotAt = chunk.indexOf(DOT, dotAt + 1)) {
    if (dotAt - 2 >= start && chunk[dotAt - 1] === LF && chunk[dotAt - 2] === CR) return dotAt;
    if (++misses > DOT_MISSES_BEFORE_SWITCH) {
      for (let lfAt = chunk.indexOf(LF_DOT, dotAt + 1); lfAt !== -1; lfAt = chunk.indexOf(LF_DOT, lfAt + 1)) {
        if (lfAt - 1 >= start && chunk[lfAt - 1] === CR) return lfAt + 1;
      }
      return -1;
    }
  }
  return -1;
}

/** The position after the last byte of a chunk that ended inside a line or right after a CRLF. */
function positionAtEnd(chunk: Buffer, start: number, end: number): Position {
  const last = chunk[end - 1];
  if (last === CR) return Position.AfterCr;
  if (last === LF && end - 2 >= start && chunk[end - 2] === CR) return Position.LineStart;
  return Position.MidLine;
}
