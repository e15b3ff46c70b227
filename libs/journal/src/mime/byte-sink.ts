import { joinPieces } from './bytes.js';

/**
 * A consumer of a byte range that arrives in pieces. `offset` is the absolute position of the
 * chunk's first byte in the scanned message, so consumers can report byte offsets without
 * holding the bytes. Chunks are views into the caller's buffers: keep them, never mutate them.
 */
export interface ByteSink {
  write(chunk: Buffer, offset: number): void;
  end(offset: number): void;
  /** True once the sink needs no more bytes; producers may then skip work such as decoding. */
  readonly satisfied?: boolean;
}

export const NULL_SINK: ByteSink = { write() {}, end() {}, satisfied: true };

/** Keeps up to `maxBytes`; beyond that it records the overflow and drops the rest. */
export class CaptureSink implements ByteSink {
  private readonly pieces: Buffer[] = [];
  private length = 0;
  overflowed = false;

  constructor(private readonly maxBytes: number = Number.POSITIVE_INFINITY) {}

  get satisfied(): boolean {
    return this.overflowed;
  }

  write(chunk: Buffer): void {
    if (this.overflowed || chunk.length === 0) return;
    const room = this.maxBytes - this.length;
    if (chunk.length > room) {
      this.overflowed = true;
      if (room > 0) this.pieces.push(chunk.subarray(0, room));
      this.length += Math.max(room, 0);
      return;
    }
    this.pieces.push(chunk);
    this.length += chunk.length;
  }

  end(): void {}

  bytes(): Buffer {
    return joinPieces(this.pieces, this.length);
  }
}

export class TeeSink implements ByteSink {
  private readonly sinks: ByteSink[];

  constructor(...sinks: ByteSink[]) {
    this.sinks = sinks;
  }

  get satisfied(): boolean {
    return this.sinks.every((sink) => sink.satisfied === true);
  }

  write(chunk: Buffer, offset: number): void {
    for (const sink of this.sinks) if (sink.satisfied !== true) sink.write(chunk, offset);
  }

  end(offset: number): void {
    for (const sink of this.sinks) sink.end(offset);
  }
}
