import { Readable } from 'node:stream';
import { JournalwireError } from '#errors';
import type { BodySink, CommandChannel, CommandResponse } from './command-channel.js';
import { listingByteCap, messageByteCap, type ResolvedLimits } from './connect-options.js';
import { errorForResponse, protocolError, type Endpoint } from './errors.js';
import { MAX_UIDL_LENGTH, parseListing, parseStat, parseUidListing } from './responses.js';
import { establishSession, runUnobserved, type EstablishedSession, type StepRunner } from './session-setup.js';
import type {
  ListEntry,
  MailboxStat,
  Pop3ConnectOptions,
  RetrieveManyOptions,
  RetrievedMessage,
  TlsPeerInfo,
  UidlEntry,
} from './types.js';

const DEFAULT_RETRIEVE_WINDOW = 128;
const DEFAULT_RETRIEVE_WINDOW_BYTES = 4 * 1024 * 1024;
const DELETE_WINDOW = 128;
/** How much of a streamed message may wait in the Readable before the socket is paused. */
const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/**
 * A POP3 session (RFC 1939, RFC 2449 CAPA / PIPELINING / RESP-CODES, RFC 2595 STLS,
 * RFC 5034 AUTH PLAIN). Messages come back byte for byte as stored on the server.
 */
export class Pop3Client {
  /** Upper-case capability names announced by CAPA (after login when the server answers it then). */
  readonly capabilities: ReadonlySet<string>;
  readonly tls: TlsPeerInfo | null;
  /** Whether commands are pipelined (the server announced PIPELINING). */
  readonly pipelining: boolean;

  private readonly channel: CommandChannel;
  private readonly endpoint: Endpoint;
  private readonly commandMs: number;
  private readonly commandDeadlineMs: number;
  private readonly limits: ResolvedLimits;
  /** STAT's message count, which bounds the size of UIDL and LIST. */
  private statCount: number | null = null;
  /** LIST's sizes, which bound each RETR. */
  private readonly listedSizes = new Map<number, number>();
  private streamInProgress = false;

  private constructor(session: EstablishedSession) {
    this.channel = session.channel;
    this.endpoint = session.endpoint;
    this.commandMs = session.timeouts.commandMs;
    this.commandDeadlineMs = session.timeouts.commandDeadlineMs;
    this.limits = session.limits;
    this.capabilities = session.capabilities.names;
    this.tls = session.tls;
    this.pipelining = session.channel.pipelining;
  }

  /** Connects, reads the greeting and CAPA, upgrades with STLS (transport `stls`) and logs in. */
  static connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    return Pop3Client.connectWithSteps(options, runUnobserved);
  }

  /** @internal The same as connect(), reporting each setup step (used by probeMailbox). */
  static async connectWithSteps(options: Pop3ConnectOptions, step: StepRunner): Promise<Pop3Client> {
    return new Pop3Client(await establishSession(options, step));
  }

  async stat(): Promise<MailboxStat> {
    const { status } = await this.command('STAT', false);
    const stat = parseStat(status.text);
    if (!stat) throw protocolError(this.endpoint, `STAT answered "${status.line}"`);
    this.statCount = stat.count;
    return stat;
  }

  async list(): Promise<ListEntry[]> {
    const { body } = await this.command('LIST', true, listingByteCap(this.limits, this.statCount));
    const entries = body ? parseListing(body) : null;
    if (!entries) throw protocolError(this.endpoint, 'LIST answered with a malformed listing');
    this.listedSizes.clear();
    for (const entry of entries) this.listedSizes.set(entry.msg, entry.size);
    return entries;
  }

  async uidl(): Promise<UidlEntry[]> {
    const { body } = await this.command('UIDL', true, listingByteCap(this.limits, this.statCount));
    const entries = body ? parseUidListing(body) : null;
    if (!entries) throw protocolError(this.endpoint, 'UIDL answered with a malformed listing');
    // RFC 1939 caps a unique-id at 70 characters; a longer one would become an unbounded ledger key.
    const overlong = entries.find((entry) => entry.uid.length > MAX_UIDL_LENGTH);
    if (overlong)
      throw protocolError(
        this.endpoint,
        `UIDL gave message ${overlong.msg} a unique-id of ${overlong.uid.length} characters (RFC 1939 allows at most ${MAX_UIDL_LENGTH})`,
      );
    return entries;
  }

  /**
   * The message exactly as stored: every byte, including its final CRLF. After list(), a message
   * far larger than its LIST size fails the session with `response-too-large` (see Pop3Limits).
   */
  async retr(msg: number): Promise<Buffer> {
    const { body } = await this.command(`RETR ${messageNumber(msg)}`, true, this.messageCap(msg), true);
    return body ?? Buffer.alloc(0);
  }

  /**
   * Streams one message with backpressure: while the consumer does not read, the socket is paused.
   * No other command is accepted until the stream ends; destroying it early discards the rest of
   * the message (the session stays usable).
   */
  async retrStream(msg: number): Promise<Readable> {
    const line = `RETR ${messageNumber(msg)}`;
    this.assertNoStream();
    const channel = this.channel;
    let finished = false;
    let discarding = false;
    const settle = (): void => {
      finished = true;
      this.streamInProgress = false;
      channel.resumeReading();
    };
    const stream = new Readable({
      highWaterMark: STREAM_HIGH_WATER_MARK,
      read: () => channel.resumeReading(),
      destroy: (error, callback) => {
        if (!finished) {
          discarding = true;
          this.streamInProgress = false;
          channel.resumeReading();
        }
        callback(error);
      },
    });
    // A chunk with many dot-stuffed lines decodes into many small pieces: hand them to the
    // stream as one buffer per socket chunk (pieces of one chunk arrive in one synchronous run).
    let batch: Buffer[] = [];
    const flush = (): void => {
      const pieces = batch;
      batch = [];
      if (discarding || pieces.length === 0) return;
      const data = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
      if (!stream.push(data)) channel.pauseReading();
    };
    const sink: BodySink = {
      write: (source, start, end) => {
        if (batch.push(source.subarray(start, end)) === 1) queueMicrotask(flush);
      },
      end: () => {
        flush();
        settle();
        if (!discarding) stream.push(null);
      },
      fail: (error) => {
        settle();
        stream.destroy(error);
      },
    };
    this.streamInProgress = true;
    try {
      const status = await channel.sendStreaming(
        {
          line,
          multiline: true,
          timeoutMs: this.commandMs,
          deadlineMs: this.commandDeadlineMs,
          maxBodyBytes: this.messageCap(msg),
        },
        sink,
      );
      if (status.kind !== 'ok') throw errorForResponse(line, status, this.endpoint);
    } catch (error) {
      this.streamInProgress = false;
      throw error;
    }
    return stream;
  }

  /**
   * Retrieves messages in order. With PIPELINING up to `window` RETR commands are outstanding,
   * so the server never waits for a round trip; otherwise one at a time.
   */
  async *retrieveMany(msgs: readonly number[], options: RetrieveManyOptions = {}): AsyncGenerator<RetrievedMessage> {
    msgs.forEach(messageNumber);
    const window = this.pipelining ? Math.max(1, Math.floor(options.window ?? DEFAULT_RETRIEVE_WINDOW)) : 1;
    const windowBytes = options.windowBytes ?? DEFAULT_RETRIEVE_WINDOW_BYTES;
    const inFlight: Array<{ msg: number; size: number; data: Promise<Buffer> }> = [];
    let inFlightBytes = 0;
    let next = 0;
    // Sized by LIST (a message LIST did not report counts as nothing: its cap still bounds it).
    const listedSize = (msg: number): number => this.listedSizes.get(msg) ?? 0;
    const issue = (): void => {
      const msg = msgs[next++] as number;
      const size = listedSize(msg);
      const data = this.retr(msg);
      // Settled later in order; if the consumer stops early, nobody awaits the rest.
      data.catch(() => undefined);
      inFlight.push({ msg, size, data });
      inFlightBytes += size;
    };
    // Refill in batches (once half the window is done): commands issued together share one write.
    // The byte budget bounds what the server may send ahead of the consumer; one RETR always goes.
    const refillBelow = Math.max(1, Math.floor(window / 2));
    let heldByBytes = false;
    const refill = (): void => {
      heldByBytes = false;
      while (next < msgs.length && inFlight.length < window) {
        heldByBytes = inFlight.length > 0 && inFlightBytes + listedSize(msgs[next] as number) > windowBytes;
        if (heldByBytes) break;
        issue();
      }
    };
    refill();
    for (let head = inFlight.shift(); head; head = inFlight.shift()) {
      const data = await head.data;
      inFlightBytes -= head.size;
      if (inFlight.length < refillBelow || (heldByBytes && inFlightBytes <= windowBytes / 2)) refill();
      yield { msg: head.msg, data };
    }
  }

  async top(msg: number, lines: number): Promise<Buffer> {
    if (!Number.isInteger(lines) || lines < 0)
      throw new JournalwireError('validation', `TOP needs a line count >= 0, got ${lines}`);
    const { body } = await this.command(`TOP ${messageNumber(msg)} ${lines}`, true, this.messageCap(msg));
    return body ?? Buffer.alloc(0);
  }

  /** Marks a message deleted; the server removes it only when the session ends with quit(). */
  async dele(msg: number): Promise<void> {
    await this.command(`DELE ${messageNumber(msg)}`, false);
  }

  /** DELE for each message, pipelined when the server allows it; fails with the first refusal. */
  async deleMany(msgs: readonly number[]): Promise<void> {
    msgs.forEach(messageNumber);
    const window = this.pipelining ? DELETE_WINDOW : 1;
    const inFlight: Array<Promise<void>> = [];
    let firstError: unknown = null;
    for (const msg of msgs) {
      const deletion = this.dele(msg).catch((error: unknown) => {
        firstError ??= error;
      });
      inFlight.push(deletion);
      if (inFlight.length >= window) await inFlight.shift();
      if (firstError) break;
    }
    await Promise.all(inFlight);
    if (firstError) throw firstError;
  }

  async rset(): Promise<void> {
    await this.command('RSET', false);
  }

  async noop(): Promise<void> {
    await this.command('NOOP', false);
  }

  /** Ends the session (UPDATE state): messages marked with DELE are removed now. */
  async quit(): Promise<void> {
    const { status } = await this.channel.send({
      line: 'QUIT',
      multiline: false,
      timeoutMs: this.commandMs,
      deadlineMs: this.commandDeadlineMs,
    });
    this.channel.close();
    if (status.kind !== 'ok') throw errorForResponse('QUIT', status, this.endpoint);
  }

  /** Drops the connection without QUIT: deletions are not committed. Pending commands fail with connection-closed. */
  destroy(): void {
    this.channel.destroy();
  }

  private messageCap(msg: number): number {
    return messageByteCap(this.limits, this.listedSizes.get(msg));
  }

  private async command(
    line: string,
    multiline: boolean,
    maxBodyBytes?: number,
    sizeInStatus = false,
  ): Promise<CommandResponse> {
    this.assertNoStream();
    const response = await this.channel.send({
      line,
      multiline,
      sizeInStatus,
      timeoutMs: this.commandMs,
      deadlineMs: this.commandDeadlineMs,
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    });
    if (response.status.kind !== 'ok') throw errorForResponse(line, response.status, this.endpoint);
    return response;
  }

  private assertNoStream(): void {
    if (this.streamInProgress) {
      throw new JournalwireError(
        'conflict',
        'A streamed RETR is still being read: finish or destroy that stream before the next command.',
      );
    }
  }
}

function messageNumber(msg: number): number {
  if (!Number.isInteger(msg) || msg < 1)
    throw new JournalwireError('validation', `A POP3 message number is an integer >= 1, got ${msg}`);
  return msg;
}
