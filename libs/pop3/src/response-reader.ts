import { MultilineDecoder } from './multiline-decoder.js';
import { parseStatusLine, type StatusLine } from './status-line.js';

const LF = 0x0a;
const CR = 0x0d;
/** Far beyond RFC 1939's 512 octets, small enough that a broken server cannot exhaust memory. */
const MAX_STATUS_LINE_BYTES = 64 * 1024;

/** Receives one response. The reader calls these in order: onStatus, then (multi-line +OK only) onBodyRange*, onBodyEnd. */
export interface ResponseHandler {
  /** Whether a +OK to this command is followed by a multi-line body. */
  readonly multiline: boolean;
  onStatus(status: StatusLine): void;
  /** Decoded body bytes: `source[start, end)`, valid only during the call. */
  onBodyRange(source: Buffer, start: number, end: number): void;
  onBodyEnd(): void;
}

export interface ResponseReaderEvents {
  /** The head handler's response is complete (called after its last callback). */
  responseComplete(): void;
  /** The server sent something that is not a POP3 response, or data nobody asked for. */
  protocolViolation(reason: string): void;
}

/**
 * Splits the server's byte stream into responses and hands each to the handler that expects it
 * (responses arrive in command order, so pipelined commands simply queue their handlers).
 */
export class ResponseReader {
  private readonly handlers: ResponseHandler[] = [];
  private head = 0;
  private readonly partialLine: Buffer[] = [];
  private partialLineLength = 0;
  private inBody = false;
  private stopped = false;
  private bodyHandler: ResponseHandler | null = null;
  private readonly decoder = new MultilineDecoder((source, start, end) =>
    this.bodyHandler?.onBodyRange(source, start, end),
  );

  constructor(private readonly events: ResponseReaderEvents) {}

  get pendingCount(): number {
    return this.handlers.length - this.head;
  }

  /** The handler whose response is being read (or awaited) now. */
  currentHandler(): ResponseHandler | undefined {
    return this.handlers[this.head];
  }

  expect(handler: ResponseHandler): void {
    this.handlers.push(handler);
  }

  /** Stops reading and returns the handlers still waiting, oldest first. */
  stop(): ResponseHandler[] {
    this.stopped = true;
    const waiting = this.handlers.slice(this.head);
    this.handlers.length = 0;
    this.head = 0;
    return waiting;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.stopped) {
      const handler = this.currentHandler();
      if (!handler) {
        this.events.protocolViolation('the server sent data that answers no command');
        return;
      }
      if (this.inBody) {
        const bodyEnd = this.decoder.decode(chunk, offset);
        if (bodyEnd === -1) return;
        offset = bodyEnd;
        this.inBody = false;
        this.bodyHandler = null;
        this.completeHead();
        handler.onBodyEnd();
        this.events.responseComplete();
        continue;
      }
      const lineEnd = chunk.indexOf(LF, offset);
      if (lineEnd === -1) {
        this.keepPartialLine(chunk.subarray(offset));
        return;
      }
      const line = this.takeLine(chunk, offset, lineEnd);
      offset = lineEnd + 1;
      const status = parseStatusLine(line);
      if (!status) {
        this.events.protocolViolation(`unexpected response line ${JSON.stringify(line.slice(0, 200))}`);
        return;
      }
      if (handler.multiline && status.kind === 'ok') {
        this.inBody = true;
        this.bodyHandler = handler;
        this.decoder.reset();
        handler.onStatus(status);
      } else {
        this.completeHead();
        handler.onStatus(status);
        this.events.responseComplete();
      }
    }
  }

  private completeHead(): void {
    this.head += 1;
    // Compact now and then instead of shifting on every response.
    if (this.head >= 1024 || this.head === this.handlers.length) {
      this.handlers.splice(0, this.head);
      this.head = 0;
    }
  }

  private keepPartialLine(part: Buffer): void {
    this.partialLineLength += part.length;
    if (this.partialLineLength > MAX_STATUS_LINE_BYTES) {
      this.events.protocolViolation(`a response line longer than ${MAX_STATUS_LINE_BYTES} bytes`);
      return;
    }
    this.partialLine.push(Buffer.from(part));
  }

  private takeLine(chunk: Buffer, from: number, lineFeedAt: number): string {
    let bytes = chunk.subarray(from, lineFeedAt);
    if (this.partialLine.length > 0) {
      this.partialLine.push(bytes);
      bytes = Buffer.concat(this.partialLine);
      this.partialLine.length = 0;
      this.partialLineLength = 0;
    }
    const length = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    return bytes.toString('latin1', 0, length);
  }
}
