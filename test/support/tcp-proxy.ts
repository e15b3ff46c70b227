import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy a test controls: forwards to a target and can cut every open
 * connection, or cut the next connection after a number of bytes from the server.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutAfterBytes: number | null = null;
  port = 0;
  cuts = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(client).add(upstream);
      let fromServer = 0;
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      upstream.on('data', (chunk: Buffer) => {
        fromServer += chunk.length;
        const limit = this.cutAfterBytes;
        if (limit !== null && fromServer >= limit) {
          this.cutAfterBytes = null;
          this.cuts++;
          client.write(chunk.subarray(0, Math.max(0, chunk.length - (fromServer - limit))), () => close());
          return;
        }
        client.write(chunk);
      });
      client.on('data', (chunk: Buffer) => upstream.write(chunk));
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

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
