import { connect as connectTls, type TLSSocket } from 'node:tls';
import type { Pop3ConnectOptions } from '#pop3';

export interface Measurement {
  messages: number;
  bytes: number;
  seconds: number;
}

/** The ceiling: log in, write every RETR at once, count terminators (no decoding, no copies). */
export async function rawPipelinedReader(options: Pop3ConnectOptions, count: number): Promise<Measurement> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const secured = connectTls(
      { host: options.host, port: options.port, ca: options.ca, servername: 'localhost', minVersion: 'TLSv1.2' },
      () => resolve(secured),
    );
    secured.once('error', reject);
  });
  const readLine = (): Promise<string> =>
    new Promise((resolve) => {
      let text = '';
      const onData = (chunk: Buffer): void => {
        text += chunk.toString('latin1');
        if (text.endsWith('\r\n')) {
          socket.off('data', onData);
          resolve(text);
        }
      };
      socket.on('data', onData);
    });
  await readLine();
  const token = Buffer.from(`\0${options.username}\0${options.password}`).toString('base64');
  socket.write(`AUTH PLAIN ${token}\r\n`);
  if (!(await readLine()).startsWith('+OK')) throw new Error('raw reader: login failed');

  const terminator = Buffer.from('\r\n.\r\n');
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let seen = 0;
    let bytes = 0;
    let carry = Buffer.alloc(0);
    const stalled = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw reader: stalled after ${seen} of ${count} terminators`));
    }, 60_000);
    socket.once('close', () =>
      reject(new Error(`raw reader: connection closed after ${seen} of ${count} terminators`)),
    );
    socket.on('data', function countTerminators(chunk: Buffer) {
      stalled.refresh();
      bytes += chunk.length;
      // A terminator split across reads starts in the last 4 bytes of the previous chunk.
      if (carry.length > 0) {
        const seam = Buffer.concat([carry, chunk.subarray(0, 4)]);
        for (let at = seam.indexOf(terminator); at !== -1; at = seam.indexOf(terminator, at + 5)) seen += 1;
      }
      for (let at = chunk.indexOf(terminator); at !== -1; at = chunk.indexOf(terminator, at + 5)) seen += 1;
      carry = chunk.length >= 4 ? Buffer.from(chunk.subarray(-4)) : Buffer.concat([carry, chunk]).subarray(-4);
      if (seen >= count) {
        const seconds = (performance.now() - started) / 1000;
        clearTimeout(stalled);
        socket.off('data', countTerminators);
        socket.end('QUIT\r\n');
        resolve({ messages: seen, bytes, seconds });
      }
    });
    const commands: string[] = [];
    for (let msg = 1; msg <= count; msg += 1) commands.push(`RETR ${msg}\r\n`);
    socket.write(commands.join(''));
  });
}
