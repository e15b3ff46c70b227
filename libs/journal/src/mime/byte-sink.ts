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

/**
 * Keeps up to `maxBytes`; beyond that it records the overflow and drops the rest. Copies into
 * one growing buffer: holding the pieces themselves would let many tiny views (a decoder's
 * output, a socket's chunks) each keep a large parent buffer alive.
 */
export class CaptureSink implements ByteSink {
  private buffer: Buffer = Buffer.alloc(0);
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
      if (room > 0) this.append(chunk.subarray(0, room));
      return;
    }
    this.append(chunk);
  }

  end(): void {}

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private append(chunk: Buffer): void {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(Math.max(needed, this.buffer.length * 2, 4096), this.maxBytes));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    chunk.copy(this.buffer, this.length);
    this.length = needed;
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
