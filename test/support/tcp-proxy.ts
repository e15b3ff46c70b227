import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy a test controls: forwards to a target and can cut every open
 * connection, or cut the next connection after a number of bytes from the server.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutAfterBytes: number | null = null;
  private cutRetr: { afterBytes: number; command: RegExp } | null = null;
  port = 0;
  cuts = 0;
  /** The command whose response a `cutDuringRetr` cut interrupted, and how many of its bytes passed. */
  retrCut: { command: string; bytesPassed: number } | null = null;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      let fromServer = 0;
      // plaintext POP3 only: the RETR command this connection is answering, and its bytes so far
      let retr: { command: string; bytes: number } | null = null;
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      upstream.on('data', (chunk: Buffer) => {
        fromServer += chunk.length;
        const cutRetr = this.cutRetr;
        if (retr !== null && cutRetr !== null) {
          retr.bytes += chunk.length;
          if (retr.bytes >= cutRetr.afterBytes) {
            const pass = chunk.length - (retr.bytes - cutRetr.afterBytes);
            this.cutRetr = null;
            this.cuts++;
            this.retrCut = { command: retr.command, bytesPassed: cutRetr.afterBytes };
            client.write(chunk.subarray(0, pass), () => close());
            return;
          }
        }
        const limit = this.cutAfterBytes;
        if (limit !== null && fromServer >= limit) {
          this.cutAfterBytes = null;
          this.cuts++;
          client.write(chunk.subarray(0, Math.max(0, chunk.length - (fromServer - limit))), () => close());
          return;
        }
        client.write(chunk);
      });
      client.on('data', (chunk: Buffer) => {
        // the first matching command counts: a pipelining client may send the next ones early
        const command = retr === null ? this.cutRetr?.command.exec(chunk.toString('latin1')) : null;
        if (command) retr = { command: command[0].trim(), bytes: 0 };
        upstream.write(chunk);
      });
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this.port;
  }

  /** The next connection is cut once the server has sent this many bytes through it. */
  cutNextAfter(bytes: number): void {
    this.cutAfterBytes = bytes;
  }

  /**
   * Plaintext POP3: cuts the connection once `afterBytes` of the response to the next client
   * command matching `command` (default: any RETR) have passed through.
   */
  cutDuringRetr(afterBytes: number, command = /^RETR \d+/m): void {
    this.cutRetr = { afterBytes, command };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
