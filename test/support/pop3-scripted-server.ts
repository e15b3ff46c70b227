/**
 * A tiny POP3 server on 127.0.0.1 for tests that need behaviour a real server will not show
 * (split writes, dying mid-response, silence, odd responses). Each test scripts it per command.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const DOT = Buffer.from('.');
const CRLF_DOT = Buffer.from('\r\n.');

/** RFC 1939 byte-stuffing plus the terminator line: what a server sends after "+OK". */
export function dotStuff(message: Buffer): Buffer {
  const parts: Buffer[] = [];
  if (message[0] === 0x2e) parts.push(DOT);
  let from = 0;
  for (let found = message.indexOf(CRLF_DOT); found !== -1; found = message.indexOf(CRLF_DOT, found + 2)) {
    parts.push(message.subarray(from, found + 2), DOT);
    from = found + 2;
  }
  parts.push(message.subarray(from));
  const needsCrlf = message.length > 0 && !message.subarray(-2).equals(Buffer.from('\r\n'));
  parts.push(Buffer.from(needsCrlf ? '\r\n.\r\n' : '.\r\n'));
  return Buffer.concat(parts);
}

export class ScriptedConnection {
  /** Every line the client sent, in order, as received (credentials included: tests check what was sent). */
  readonly received: string[] = [];
  private buffered = Buffer.alloc(0);
  private readonly waiters: Array<(line: string | null) => void> = [];
  private readonly lines: string[] = [];
  private ended = false;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      for (let end = this.buffered.indexOf('\r\n'); end !== -1; end = this.buffered.indexOf('\r\n')) {
        const line = this.buffered.subarray(0, end).toString('utf8');
        this.buffered = this.buffered.subarray(end + 2);
        this.received.push(line);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    const finish = (): void => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    };
    socket.on('close', finish);
    socket.on('end', finish);
    socket.on('error', () => undefined);
  }

  /** The next command line, or null once the client has gone. */
  readLine(): Promise<string | null> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Lines already received but not yet read by the script. */
  get unreadLines(): number {
    return this.lines.length;
  }

  write(data: string | Buffer): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  /** Writes the parts as separate TCP segments (with a pause between, so they arrive as separate reads). */
  async writeApart(parts: Array<string | Buffer>, pauseMs = 5): Promise<void> {
    for (const [index, part] of parts.entries()) {
      if (index > 0) await delay(pauseMs);
      if (part.length > 0) await this.write(part);
    }
  }

  /** Writes `chunk` again and again until the client goes away. */
  async flood(chunk: string | Buffer): Promise<void> {
    while (!this.socket.destroyed && this.socket.writable) await this.write(chunk);
  }

  /** Writes one character of `text` at a time, forever (cycling), until the client goes away. */
  async trickle(text: string, pauseMs = 10): Promise<void> {
    for (let i = 0; !this.socket.destroyed; i = (i + 1) % text.length) {
      await this.write(text.charAt(i));
      await delay(pauseMs);
    }
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export interface ScriptedServer {
  readonly host: string;
  readonly port: number;
  readonly connections: ScriptedConnection[];
  /** Every line received on every connection. */
  receivedLines(): string[];
  close(): Promise<void>;
}

export type ConnectionScript = (connection: ScriptedConnection) => Promise<void> | void;

export async function startScriptedServer(script: ConnectionScript, host = '127.0.0.1'): Promise<ScriptedServer> {
  const connections: ScriptedConnection[] = [];
  const server: Server = createServer((socket) => {
    const connection = new ScriptedConnection(socket);
    connections.push(connection);
    Promise.resolve(script(connection)).catch((error: unknown) => {
      socket.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    connections,
    receivedLines: () => connections.flatMap((connection) => connection.received),
    close: async () => {
      for (const connection of connections) connection.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface MailboxScript {
  capabilities?: string[];
  username?: string;
  password?: string;
  messages?: Buffer[];
  greeting?: string;
  /** Start without a greeting (the session continues after an STLS upgrade). */
  skipGreeting?: boolean;
  /**
   * Handles a command instead of the default behaviour; return true when handled.
   * `verb` is upper-case, `args` the rest of the line.
   */
  override?: (verb: string, args: string, connection: ScriptedConnection) => Promise<boolean> | boolean;
}

/** An `override` that answers `verb` with `answer` and leaves every other command to the mailbox. */
export function answering(
  verb: string,
  answer: (connection: ScriptedConnection, args: string) => Promise<void>,
): NonNullable<MailboxScript['override']> {
  return async (command, args, connection) => {
    if (command !== verb) return false;
    await answer(connection, args);
    return true;
  };
}

/** An `override` whose answer to `verb` never ends: `head`, then `line` again and again. */
export function endlessAnswer(verb: string, line: string, head = '+OK\r\n'): NonNullable<MailboxScript['override']> {
  return answering(verb, async (connection) => {
    await connection.write(head);
    await connection.flood(line);
  });
}

export const DEFAULT_CAPABILITIES = ['TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'USER'];

/** A well-behaved POP3 server (with the overrides a test needs). */
export function pop3Mailbox(options: MailboxScript = {}): ConnectionScript {
  const username = options.username ?? 'journal';
  const password = options.password ?? 'secret';
  const capabilities = options.capabilities ?? DEFAULT_CAPABILITIES;
  const messages = options.messages ?? [];
  return async (connection) => {
    const deleted = new Set<number>();
    let user: string | null = null;
    const message = (args: string): Buffer | null => {
      const index = Number(args.split(' ')[0]);
      const found = messages[index - 1];
      return found && !deleted.has(index) ? found : null;
    };
    if (!options.skipGreeting) await connection.write(`${options.greeting ?? '+OK scripted POP3 ready'}\r\n`);
    for (let line = await connection.readLine(); line !== null; line = await connection.readLine()) {
      const space = line.indexOf(' ');
      const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
      const args = space === -1 ? '' : line.slice(space + 1);
      if (options.override && (await options.override(verb, args, connection))) continue;
      switch (verb) {
        case 'CAPA':
          await connection.write(`+OK\r\n${capabilities.map((name) => `${name}\r\n`).join('')}.\r\n`);
          break;
        case 'USER':
          user = args;
          await connection.write('+OK\r\n');
          break;
        case 'PASS':
          await connection.write(
            user === username && args === password ? '+OK logged in\r\n' : '-ERR [AUTH] invalid credentials\r\n',
          );
          break;
        case 'AUTH': {
          const [, token = ''] = args.split(' ');
          const [, authUser, authPass] = Buffer.from(token, 'base64').toString('utf8').split('\0');
          const valid = authUser === username && authPass === password;
          await connection.write(valid ? '+OK logged in\r\n' : '-ERR [AUTH] invalid credentials\r\n');
          break;
        }
        case 'STAT': {
          const live = messages.filter((_, index) => !deleted.has(index + 1));
          await connection.write(`+OK ${live.length} ${live.reduce((sum, m) => sum + m.length, 0)}\r\n`);
          break;
        }
        case 'LIST':
          await connection.write(
            `+OK\r\n${messages.map((m, index) => (deleted.has(index + 1) ? '' : `${index + 1} ${m.length}\r\n`)).join('')}.\r\n`,
          );
          break;
        case 'UIDL':
          await connection.write(
            `+OK\r\n${messages.map((_, index) => (deleted.has(index + 1) ? '' : `${index + 1} uid-${index + 1}\r\n`)).join('')}.\r\n`,
          );
          break;
        case 'RETR': {
          const found = message(args);
          await connection.write(
            found
              ? Buffer.concat([Buffer.from(`+OK ${found.length} octets\r\n`), dotStuff(found)])
              : '-ERR no such message\r\n',
          );
          break;
        }
        case 'TOP': {
          const found = message(args);
          await connection.write(
            found ? Buffer.concat([Buffer.from('+OK\r\n'), dotStuff(found)]) : '-ERR no such message\r\n',
          );
          break;
        }
        case 'DELE':
          if (message(args)) {
            deleted.add(Number(args));
            await connection.write('+OK deleted\r\n');
          } else {
            await connection.write('-ERR no such message\r\n');
          }
          break;
        case 'RSET':
          deleted.clear();
          await connection.write('+OK\r\n');
          break;
        case 'NOOP':
          await connection.write('+OK\r\n');
          break;
        case 'QUIT':
          await connection.write('+OK bye\r\n');
          connection.end();
          return;
        default:
          await connection.write('-ERR unknown command\r\n');
      }
    }
  };
}
