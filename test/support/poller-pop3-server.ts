import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { dotStuff } from './pop3-scripted-server.js';

export interface FakeMessage {
  uid: string;
  data: Buffer;
}

/**
 * A small stateful POP3 mailbox (plain TCP, USER/PASS, PIPELINING) for behaviour Dovecot will not
 * show on demand: it answers -ERR to RETR for the UIDLs in `refuse`, while the session goes on.
 * DELE takes effect at QUIT, as RFC 1939 says.
 */
export class FakePop3Mailbox {
  readonly refuse = new Set<string>();
  /** RETR commands received per UIDL. */
  readonly retrievals = new Map<string, number>();
  /** QUIT commits the deletions, then the connection drops before its +OK reaches the client. */
  loseQuitReply = false;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(public messages: FakeMessage[]) {}

  get port(): number {
    return (this.server?.address() as AddressInfo).port;
  }

  async start(): Promise<void> {
    this.server = createServer((socket) => this.serve(socket));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const session = [...this.messages]; // message numbers are fixed for the session
    const deleted = new Set<number>();
    let buffered = '';
    socket.write('+OK fake journal mailbox ready\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const reply = this.answer(line, session, deleted);
        if (/^QUIT$/i.test(line) && this.loseQuitReply) {
          socket.destroy();
          return;
        }
        socket.write(reply);
        if (/^QUIT$/i.test(line)) socket.end();
      }
    });
  }

  private answer(line: string, session: FakeMessage[], deleted: Set<number>): Buffer | string {
    const [verb = '', arg] = line.split(' ');
    const live = session.map((m, i) => ({ ...m, msg: i + 1 })).filter((m) => !deleted.has(m.msg));
    const pick = (n: string | undefined) => live.find((m) => m.msg === Number(n));
    switch (verb.toUpperCase()) {
      case 'CAPA':
        return '+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n';
      case 'USER':
      case 'PASS':
      case 'NOOP':
        return '+OK\r\n';
      case 'STAT':
        return `+OK ${live.length} ${live.reduce((s, m) => s + m.data.length, 0)}\r\n`;
      case 'UIDL':
        return `+OK\r\n${live.map((m) => `${m.msg} ${m.uid}\r\n`).join('')}.\r\n`;
      case 'LIST':
        return `+OK\r\n${live.map((m) => `${m.msg} ${m.data.length}\r\n`).join('')}.\r\n`;
      case 'RETR': {
        const message = pick(arg);
        if (!message) return '-ERR no such message\r\n';
        this.retrievals.set(message.uid, (this.retrievals.get(message.uid) ?? 0) + 1);
        if (this.refuse.has(message.uid)) return '-ERR [SYS/PERM] message cannot be read\r\n';
        return Buffer.concat([Buffer.from('+OK\r\n'), dotStuff(message.data)]);
      }
      case 'DELE': {
        const message = pick(arg);
        if (!message) return '-ERR no such message\r\n';
        deleted.add(message.msg);
        return '+OK\r\n';
      }
      case 'QUIT': {
        const gone = new Set([...deleted].map((msg) => session[msg - 1]!.uid));
        this.messages = this.messages.filter((m) => !gone.has(m.uid));
        return '+OK bye\r\n';
      }
      default:
        return '-ERR unknown command\r\n';
    }
  }
}
