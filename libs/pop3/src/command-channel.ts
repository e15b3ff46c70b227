import type { Socket } from 'node:net';
import type { JournalwireError } from '#errors';
import { redactProtocolLine } from '#logger';
import {
  connectionClosedError,
  deadlineError,
  protocolError,
  responseTooLargeError,
  timeoutError,
  type Endpoint,
} from './errors.js';
import { ResponseReader, type ResponseHandler } from './response-reader.js';
import type { StatusLine } from './status-line.js';
import type { Pop3TraceDirection } from './types.js';

const CLOSE_GRACE_MS = 2_000;

/** Where the body of a multi-line response goes. */
export interface BodySink {
  /** Decoded bytes `source[start, end)`; the source may be reused after the call (copy or subarray). */
  write(source: Buffer, start: number, end: number): void;
  end(): void;
  fail(error: JournalwireError): void;
}

export interface CommandRequest {
  /** The command line without CRLF; null only for the greeting (no command is sent). */
  line: string | null;
  /** What to put in the trace instead of `line` (credentials). Defaults to `redactProtocolLine(line)`. */
  traceLine?: string;
  /** How to name the command in errors; defaults to the verb. Never contains credentials. */
  label?: string;
  /** Whether a +OK is followed by a multi-line body. */
  multiline: boolean;
  /** The +OK text starts with the body's size in octets (RETR): used to size the buffer up front. */
  sizeInStatus?: boolean;
  /** Longest silence while the response is awaited (the timer restarts with every byte). */
  timeoutMs: number;
  /** Absolute deadline of the response, from when it is awaited (its command is the oldest outstanding) to its end. */
  deadlineMs?: number;
  /** Byte cap of a multi-line body (decoded bytes); beyond it the connection is dropped. */
  maxBodyBytes?: number;
}

export interface CommandResponse {
  status: StatusLine;
  /** The decoded body of a multi-line +OK response, or null. */
  body: Buffer | null;
}

export interface ChannelSettings {
  endpoint: Endpoint;
  trace?: (direction: Pop3TraceDirection, line: string) => void;
}

interface QueuedCommand {
  request: CommandRequest;
  handler: ResponseHandler & { fail(error: JournalwireError): void };
}

/**
 * Sends commands over one socket and matches responses to them in order. With pipelining on,
 * commands are written as soon as they are issued; otherwise each waits for the previous response.
 * Every outstanding command is settled when the connection fails, times out or closes.
 */
export class CommandChannel {
  private socket: Socket | null = null;
  private readonly unsent: QueuedCommand[] = [];
  private readonly awaiting: QueuedCommand[] = [];
  private awaitingHead = 0;
  private readonly reader: ResponseReader;
  private failure: JournalwireError | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerMs = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineFor: QueuedCommand | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private pausedByConsumer = false;
  private readonly outgoing: string[] = [];
  private closingExpected = false;
  private lastSocketError: Error | null = null;
  pipelining = false;

  private readonly onData = (chunk: Buffer): void => {
    this.timer?.refresh();
    this.reader.push(chunk);
  };
  private readonly onError = (error: Error): void => {
    this.lastSocketError = error;
  };
  private readonly onClose = (): void => {
    this.socket = null;
    this.fail(connectionClosedError(this.settings.endpoint, this.waitingFor(), this.lastSocketError ?? undefined));
  };

  constructor(private readonly settings: ChannelSettings) {
    this.reader = new ResponseReader({
      responseComplete: () => this.onResponseComplete(),
      protocolViolation: (reason) => this.fail(protocolError(this.settings.endpoint, reason)),
    });
  }

  /** The error that ended this channel, if it has ended. */
  get failed(): JournalwireError | null {
    return this.failure;
  }

  get outstanding(): number {
    return this.unsent.length + this.awaiting.length - this.awaitingHead;
  }

  attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    if (socket.destroyed) this.onClose();
  }

  /** Hands the socket back (for the STLS upgrade). Only valid while nothing is outstanding. */
  detach(): Socket {
    const socket = this.socket;
    if (!socket) throw this.failure ?? connectionClosedError(this.settings.endpoint, 'STLS');
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
    this.socket = null;
    return socket;
  }

  /** Sends a command and collects its whole response. */
  send(request: CommandRequest): Promise<CommandResponse> {
    return new Promise((resolve, reject) => {
      let status: StatusLine | null = null;
      let body: BodyCollector | null = null;
      this.enqueue(request, {
        multiline: request.multiline,
        onStatus: (received) => {
          status = received;
          if (request.multiline && received.kind === 'ok')
            body = new BodyCollector(
              request.sizeInStatus ? Math.min(announcedSize(received), request.maxBodyBytes ?? Infinity) : 0,
            );
          else resolve({ status: received, body: null });
        },
        onBodyRange: (source, start, end) => body?.append(source, start, end),
        onBodyEnd: () => {
          if (status && body) resolve({ status, body: body.result() });
        },
        fail: reject,
      });
    });
  }

  /**
   * Sends a multi-line command whose body goes to a sink (streaming). Resolves with the status
   * line; after a +OK the sink receives the body, then end() or fail().
   */
  sendStreaming(request: CommandRequest, sink: BodySink): Promise<StatusLine> {
    return new Promise((resolve, reject) => {
      let started = false;
      this.enqueue(request, {
        multiline: true,
        onStatus: (status) => {
          started = status.kind === 'ok';
          resolve(status);
        },
        onBodyRange: (source, start, end) => sink.write(source, start, end),
        onBodyEnd: () => sink.end(),
        fail: (error) => (started ? sink.fail(error) : reject(error)),
      });
    });
  }

  /** Drops the connection `ms` after `startedAt` (epoch ms), whatever is going on then. */
  setSessionDeadline(ms: number, startedAt: number): void {
    if (this.sessionTimer) clearTimeout(this.sessionTimer);
    const remaining = Math.max(0, startedAt + ms - Date.now());
    this.sessionTimer = setTimeout(() => {
      this.sessionTimer = null;
      this.fail(deadlineError(this.settings.endpoint, 'the session', ms));
    }, remaining);
  }

  /** Stops reading from the socket until resumeReading() (a stream consumer is slow). */
  pauseReading(): void {
    if (this.pausedByConsumer) return;
    this.pausedByConsumer = true;
    this.socket?.pause();
    this.stopTimer();
  }

  resumeReading(): void {
    if (!this.pausedByConsumer) return;
    this.pausedByConsumer = false;
    this.socket?.resume();
    this.restartTimer();
  }

  /** Ends the connection after the server said goodbye (QUIT). */
  close(): void {
    this.closingExpected = true;
    const socket = this.socket;
    if (!socket) return;
    socket.end();
    // Dovecot and most servers close at once; do not wait on one that keeps the socket open.
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  /** Drops the connection; everything outstanding fails with `error` (default: connection-closed). */
  destroy(error?: JournalwireError): void {
    this.fail(
      error ?? connectionClosedError(this.settings.endpoint, this.waitingFor(), new Error('closed by the client')),
    );
  }

  private enqueue(request: CommandRequest, handler: QueuedCommand['handler']): void {
    if (this.failure) {
      handler.fail(this.failure);
      return;
    }
    const command: QueuedCommand = { request, handler: this.guarded(request, handler) };
    if (this.pipelining || this.outstanding === 0) this.write(command);
    else this.unsent.push(command);
  }

  /** The handler with the trace and the body's byte cap applied. */
  private guarded(request: CommandRequest, handler: QueuedCommand['handler']): QueuedCommand['handler'] {
    const limit = request.maxBodyBytes;
    if (!this.settings.trace && limit === undefined) return handler;
    let bodyBytes = 0;
    return {
      ...handler,
      onStatus: (status) => {
        this.trace('server', status.line);
        handler.onStatus(status);
      },
      onBodyRange:
        limit === undefined
          ? handler.onBodyRange
          : (source, start, end) => {
              if (this.failure) return;
              bodyBytes += end - start;
              if (bodyBytes > limit) {
                this.fail(responseTooLargeError(this.settings.endpoint, this.describe(request), limit));
                return;
              }
              handler.onBodyRange(source, start, end);
            },
    };
  }

  private write(command: QueuedCommand): void {
    const socket = this.socket;
    if (!socket) {
      command.handler.fail(
        this.failure ?? connectionClosedError(this.settings.endpoint, this.describe(command.request)),
      );
      return;
    }
    this.awaiting.push(command);
    this.reader.expect(command.handler);
    if (this.outstanding === 1) this.restartTimer();
    this.startDeadline();
    const { line } = command.request;
    if (line === null) return;
    this.trace('client', command.request.traceLine ?? redactProtocolLine(line));
    // Commands issued in one tick go out in one write (one TLS record, one syscall).
    this.outgoing.push(line, '\r\n');
    if (this.outgoing.length === 2) process.nextTick(this.flushOutgoing);
  }

  private readonly flushOutgoing = (): void => {
    const data = this.outgoing.join('');
    this.outgoing.length = 0;
    this.socket?.write(data, 'utf8');
  };

  private onResponseComplete(): void {
    if (this.failure) return;
    this.awaitingHead += 1;
    if (this.awaitingHead >= 1024 || this.awaitingHead === this.awaiting.length) {
      this.awaiting.splice(0, this.awaitingHead);
      this.awaitingHead = 0;
    }
    const next = this.unsent.shift();
    if (next) this.write(next);
    this.restartTimer();
    this.startDeadline();
  }

  private fail(error: JournalwireError): void {
    if (this.failure) return;
    const expected = this.closingExpected && this.outstanding === 0;
    this.failure = expected
      ? connectionClosedError(this.settings.endpoint, 'nothing (the session ended with QUIT)')
      : error;
    this.stopTimer();
    this.stopDeadline();
    if (this.sessionTimer) clearTimeout(this.sessionTimer);
    this.sessionTimer = null;
    this.outgoing.length = 0;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.off('data', this.onData);
      socket.off('close', this.onClose);
      socket.destroy();
    }
    this.reader.stop();
    const waiting = [...this.awaiting.slice(this.awaitingHead), ...this.unsent];
    this.awaiting.length = 0;
    this.awaitingHead = 0;
    this.unsent.length = 0;
    for (const command of waiting) command.handler.fail(this.failure);
  }

  private restartTimer(): void {
    const head = this.awaiting[this.awaitingHead];
    if (!head || this.pausedByConsumer || this.failure) {
      this.stopTimer();
      return;
    }
    const ms = head.request.timeoutMs;
    if (this.timer && this.timerMs === ms) {
      this.timer.refresh();
      return;
    }
    this.stopTimer();
    this.timerMs = ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      const current = this.awaiting[this.awaitingHead];
      this.fail(timeoutError(this.settings.endpoint, current ? this.describe(current.request) : 'a command', ms));
    }, ms);
  }

  /** Starts the absolute deadline of the oldest outstanding command when that command changed. */
  private startDeadline(): void {
    const head = this.awaiting[this.awaitingHead] ?? null;
    if (head === this.deadlineFor) return;
    this.stopDeadline();
    this.deadlineFor = head;
    const ms = head?.request.deadlineMs;
    if (!head || ms === undefined || this.failure) return;
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      this.fail(deadlineError(this.settings.endpoint, this.describe(head.request), ms));
    }, ms);
  }

  private stopDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.deadlineFor = null;
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private waitingFor(): string {
    const head = this.awaiting[this.awaitingHead] ?? this.unsent[0];
    return head ? this.describe(head.request) : 'the next command';
  }

  private describe(request: CommandRequest): string {
    if (request.line === null) return 'the greeting';
    return `the response to ${request.label ?? (request.line.split(' ')[0] ?? '').toUpperCase()}`;
  }

  private trace(direction: Pop3TraceDirection, line: string): void {
    this.settings.trace?.(direction, line);
  }
}

/** Larger announced sizes are not trusted for the first allocation (the buffer still grows as needed). */
const MAX_PREALLOCATION = 64 * 1024 * 1024;

/** The octet count at the start of a RETR +OK ("+OK 4242 octets"), or 0. */
function announcedSize(status: StatusLine): number {
  const match = /^(\d{1,12})(\s|$)/.exec(status.text);
  return match ? Math.min(Number(match[1]), MAX_PREALLOCATION) : 0;
}

/**
 * Collects a body by copying decoded ranges into one buffer, sized up front from the announced
 * size when there is one: no per-piece views, no final concatenation.
 */
class BodyCollector {
  private buffer: Buffer;
  private length = 0;

  constructor(expectedSize: number) {
    this.buffer = Buffer.allocUnsafe(expectedSize);
  }

  append(source: Buffer, start: number, end: number): void {
    const needed = this.length + (end - start);
    if (needed > this.buffer.length) this.grow(needed);
    this.length += source.copy(this.buffer, this.length, start, end);
  }

  result(): Buffer {
    const unused = this.buffer.length - this.length;
    if (unused === 0) return this.buffer;
    // Do not keep a mostly empty allocation alive with the message.
    if (unused > Math.max(4096, this.length >> 3)) return Buffer.from(this.buffer.subarray(0, this.length));
    return this.buffer.subarray(0, this.length);
  }

  private grow(needed: number): void {
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2, 4096));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
