import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '#errors';
import {
  answering,
  DEFAULT_CAPABILITIES,
  dotStuff,
  startScriptedServer,
  type ScriptedServer,
} from '../../../test/support/pop3-scripted-server.js';
import { expectFailure as expectFailureOf, pop3ClientSessions } from '../../../test/support/pop3-client-sessions.js';
import { Pop3Client, type Pop3ConnectOptions } from './index.js';

const PASSWORD = 'secret';
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const MESSAGES = [
  latin1('Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n'),
  latin1('Subject: caf\xe9\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\xe9t\xe9 \xe0 Z\xfcrich \xff\r\n'),
  latin1('Subject: empty body\r\n\r\n'),
];

const pop3 = pop3ClientSessions({ messages: MESSAGES, password: PASSWORD });
const { serve, optionsFor, connect } = pop3;

afterEach(() => pop3.close());

/** The expected failure, which names neither the password nor anything derived from it. */
async function expectFailure(promise: Promise<unknown>, code: ErrorCode): Promise<Error> {
  const error = await expectFailureOf(promise, code);
  expect(error.message).not.toContain(PASSWORD);
  expect(JSON.stringify(error.details)).not.toContain(PASSWORD);
  return error;
}

describe('Pop3Client against a scripted server', () => {
  it('logs in with USER/PASS and reads STAT, LIST, UIDL, RETR and TOP byte for byte', async () => {
    const target = await serve();
    const client = await connect(target);
    expect(client.pipelining).toBe(true);
    expect([...client.capabilities]).toEqual(DEFAULT_CAPABILITIES);
    expect(client.tls).toBeNull();
    expect(await client.stat()).toEqual({ count: 3, size: MESSAGES.reduce((sum, m) => sum + m.length, 0) });
    expect(await client.list()).toEqual(MESSAGES.map((m, index) => ({ msg: index + 1, size: m.length })));
    expect(await client.uidl()).toEqual(MESSAGES.map((_, index) => ({ msg: index + 1, uid: `uid-${index + 1}` })));
    for (const [index, message] of MESSAGES.entries()) expect(await client.retr(index + 1)).toEqual(message);
    expect(await client.top(1, 0)).toEqual(MESSAGES[0]);
    await client.noop();
    await client.quit();
    expect(target.receivedLines()).toEqual([
      'CAPA',
      'USER journal',
      `PASS ${PASSWORD}`,
      'CAPA',
      'STAT',
      'LIST',
      'UIDL',
      'RETR 1',
      'RETR 2',
      'RETR 3',
      'TOP 1 0',
      'NOOP',
      'QUIT',
    ]);
  });

  it('finds the terminator split at every offset of the response', async () => {
    const message = latin1('Subject: split\r\n\r\n.dot\r\n.\r\n\xe9\r\n');
    const wire = Buffer.concat([latin1(`+OK ${message.length} octets\r\n`), dotStuff(message)]);
    const target = await serve({
      override: answering('RETR', async (connection, args) => {
        const offset = Number(args) - 1;
        await connection.writeApart([wire.subarray(0, offset), wire.subarray(offset)], 3);
      }),
    });
    const client = await connect(target);
    for (let offset = 0; offset <= wire.length; offset += 1) {
      expect({ offset, data: (await client.retr(offset + 1)).toString('latin1') }).toEqual({
        offset,
        data: message.toString('latin1'),
      });
    }
    expect(await client.stat()).toMatchObject({ count: 3 });
  });

  it('stays byte-exact when the announced octet count is wrong or missing', async () => {
    const long = Buffer.from(`Subject: long\r\n\r\n${'.x\r\n'.repeat(5000)}`);
    const statusFor: Record<string, string> = {
      '1': '+OK 5 octets',
      '2': '+OK 99999999 octets',
      '3': '+OK message follows',
    };
    const target = await serve({
      messages: [long, long, long],
      override: answering('RETR', async (connection, args) => {
        await connection.write(Buffer.concat([Buffer.from(`${statusFor[args] ?? '+OK'}\r\n`), dotStuff(long)]));
      }),
    });
    const client = await connect(target);
    for (const msg of [1, 2, 3]) expect((await client.retr(msg)).equals(long)).toBe(true);
  });

  it('fails every pending command with connection-closed when the server dies mid-RETR (no hang)', async () => {
    const target = await serve({
      override: answering('RETR', async (connection) => {
        await connection.write('+OK 100000 octets\r\nSubject: cut\r\n\r\npartial bo');
        await delay(20);
        connection.destroy();
      }),
    });
    const client = await connect(target);
    const pending = [client.retr(1), client.noop(), client.stat()];
    for (const command of pending) command.catch(() => undefined);
    for (const command of pending) await expectFailure(command, 'connection-closed');
    await expectFailure(client.noop(), 'connection-closed');
  });

  it('maps -ERR [IN-USE] at login to mailbox-in-use (retryable)', async () => {
    const target = await serve({
      override: answering('PASS', async (connection) => {
        await connection.write('-ERR [IN-USE] Mailbox is locked by another POP3 session\r\n');
      }),
    });
    const error = await expectFailure(connect(target), 'mailbox-in-use');
    expect(error).toMatchObject({ retryable: true });
  });

  it('maps a plain -ERR to PASS to authentication', async () => {
    const target = await serve({
      password: 'other',
      override: (verb, _args, connection) => verb === 'PASS' && connection.write('-ERR nope\r\n').then(() => true),
    });
    const error = await expectFailure(connect(target), 'authentication');
    expect(error.message).toMatch(/rejected the login \(PASS: "nope"\)/);
  });

  it('maps [SYS/TEMP] to server-temporary (retryable) and [SYS/PERM] to server-permanent', async () => {
    const target = await serve({
      override: answering('RETR', async (connection, args) => {
        await connection.write(args === '1' ? '-ERR [SYS/TEMP] disk busy\r\n' : '-ERR [SYS/PERM] mailbox corrupt\r\n');
      }),
    });
    const client = await connect(target);
    expect(await expectFailure(client.retr(1), 'server-temporary')).toMatchObject({ retryable: true });
    expect(await expectFailure(client.retr(2), 'server-permanent')).toMatchObject({ retryable: false });
    await client.noop();
  });

  it('uses AUTH PLAIN with an initial response when SASL PLAIN is offered, and never traces credentials', async () => {
    const trace: string[] = [];
    const target = await serve({ capabilities: [...DEFAULT_CAPABILITIES, 'SASL PLAIN LOGIN'] });
    await connect(target, { trace: (direction, line) => trace.push(`${direction} ${line}`) });
    const expectedToken = Buffer.from(`\0journal\0${PASSWORD}`).toString('base64');
    expect(target.receivedLines()).toEqual(['CAPA', `AUTH PLAIN ${expectedToken}`, 'CAPA']);
    expect(trace).toContain('client AUTH PLAIN [redacted]');
    expect(trace.join('\n')).not.toContain(expectedToken);
    expect(trace.join('\n')).not.toContain(PASSWORD);
  });

  it('redacts PASS in the trace', async () => {
    const trace: string[] = [];
    const target = await serve();
    const client = await connect(target, { trace: (direction, line) => trace.push(`${direction} ${line}`) });
    await client.retr(1);
    expect(trace).toContain('client PASS [redacted]');
    expect(trace).toContain('server +OK logged in');
    expect(trace.join('\n')).not.toContain(PASSWORD);
    expect(trace.join('\n')).not.toContain('leading dot');
  });

  it('times out when the server never greets', async () => {
    const server = pop3.track(await startScriptedServer(() => undefined));
    const started = Date.now();
    const error = await expectFailure(connect(server, { timeouts: { greetingMs: 200 } }), 'timeout');
    expect(error.message).toMatch(/greeting within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out when the server stops answering a command, failing everything pending', async () => {
    let silent = false;
    const target = await serve({ override: (verb) => (silent ||= verb === 'STAT') });
    const client = await connect(target, { timeouts: { commandMs: 200 } });
    const [stat, noop] = [client.stat(), client.noop()];
    noop.catch(() => undefined);
    await expectFailure(stat, 'timeout');
    await expectFailure(noop, 'timeout');
  });

  it('refuses transport=stls when STLS is not offered, before sending any credential', async () => {
    const target = await serve();
    const error = await expectFailure(connect(target, { transport: 'stls' }), 'tls-required');
    expect(error.message).toMatch(/does not offer STLS/);
    await delay(50);
    expect(target.receivedLines()).toEqual(['CAPA']);
  });

  it('treats data injected after the +OK to STLS as a protocol error and sends nothing more', async () => {
    const target = await serve({
      capabilities: [...DEFAULT_CAPABILITIES, 'STLS'],
      override: answering('STLS', async (connection) => {
        await connection.write('+OK Begin TLS negotiation\r\n+OK injected\r\n');
      }),
    });
    await expectFailure(connect(target, { transport: 'stls' }), 'protocol');
    await delay(50);
    expect(target.receivedLines()).toEqual(['CAPA', 'STLS']);
  });

  it('pipelines retrieveMany up to the window when PIPELINING is advertised, yielding in order', async () => {
    const messages = Array.from({ length: 40 }, (_, index) =>
      latin1(`Subject: ${index + 1}\r\n\r\n.body ${index + 1}\r\n`),
    );
    let queuedAtFirstRetr = -1;
    const target = await serve({
      messages,
      override: async (verb, _args, connection) => {
        if (verb === 'RETR' && queuedAtFirstRetr === -1) {
          await delay(50);
          queuedAtFirstRetr = connection.unreadLines;
        }
        return false;
      },
    });
    const client = await connect(target);
    const received: number[] = [];
    for await (const { msg, data } of client.retrieveMany(
      messages.map((_, index) => index + 1),
      { window: 8 },
    )) {
      expect(data).toEqual(messages[msg - 1]);
      received.push(msg);
    }
    expect(received).toEqual(messages.map((_, index) => index + 1));
    expect(queuedAtFirstRetr).toBe(7);
  });

  it('bounds retrieveMany by the listed bytes outstanding, one RETR at least', async () => {
    const messages = Array.from({ length: 20 }, (_, index) =>
      latin1(`Subject: ${String(index + 1).padStart(2, '0')}\r\n\r\n${'x'.repeat(983)}\r\n`),
    );
    expect(messages.every((message) => message.length === 1000)).toBe(true);
    const queuedAtFirstRetr: number[] = [];
    let firstRetrSeen = false;
    const target = await serve({
      messages,
      override: async (verb, _args, connection) => {
        if (verb === 'RETR' && !firstRetrSeen) {
          firstRetrSeen = true;
          await delay(50);
          queuedAtFirstRetr.push(connection.unreadLines);
        }
        return false;
      },
    });
    const client = await connect(target);
    await client.list();
    const all = messages.map((_, index) => index + 1);
    const received: number[] = [];
    for await (const { msg } of client.retrieveMany(all, { window: 32, windowBytes: 5000 })) received.push(msg);
    firstRetrSeen = false;
    for await (const { msg } of client.retrieveMany(all, { window: 32, windowBytes: 500 })) received.push(msg);
    expect(received).toEqual([...all, ...all]);
    // Five of 1,000 bytes fit in 5,000 (four wait behind the first); one goes when none fits.
    expect(queuedAtFirstRetr).toEqual([4, 0]);
  });

  it('sends one command at a time without PIPELINING', async () => {
    let maxQueued = 0;
    const target = await serve({
      capabilities: ['TOP', 'UIDL', 'USER'],
      override: async (_verb, _args, connection) => {
        await delay(2);
        maxQueued = Math.max(maxQueued, connection.unreadLines);
        return false;
      },
    });
    const client = await connect(target);
    expect(client.pipelining).toBe(false);
    const all = [];
    for await (const { data } of client.retrieveMany([1, 2, 3, 1, 2, 3])) all.push(data);
    await Promise.all([client.dele(1), client.dele(2), client.noop()]);
    expect(all).toEqual([...MESSAGES, ...MESSAGES]);
    expect(maxQueued).toBe(0);
  });

  it('stops early in retrieveMany without unhandled rejections, and the session stays usable', async () => {
    const target = await serve();
    const client = await connect(target);
    for await (const { msg } of client.retrieveMany([1, 2, 3], { window: 3 })) {
      expect(msg).toBe(1);
      break;
    }
    expect(await client.stat()).toMatchObject({ count: 3 });
  });

  it('streams a large message with backpressure: the socket pauses while the consumer does not read', async () => {
    const big = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789\r\n.dot\r\n'.repeat(400_000));
    const target = await serve({ messages: [big, MESSAGES[0] as Buffer] });
    const client = await connect(target);
    const stream = await client.retrStream(1);
    await delay(300);
    // The client stopped reading: most of the message is still waiting on the server side.
    const serverSocket = target.connections[0]?.socket;
    expect(serverSocket?.writableLength).toBeGreaterThan(big.length / 2);
    expect(stream.readableLength).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024);
    await expectFailure(client.noop(), 'conflict');
    const hash = createHash('sha256');
    let length = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
    expect(length).toBe(big.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    expect(await client.retr(2)).toEqual(MESSAGES[0]);
  });

  it('discards the rest of a stream destroyed early; the next command still works', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'line of text\r\n');
    const target = await serve({ messages: [big, MESSAGES[1] as Buffer] });
    const client = await connect(target);
    const stream = await client.retrStream(1);
    for await (const _chunk of stream) break;
    expect(await client.retr(2)).toEqual(MESSAGES[1]);
  });

  it('rejects retrStream of a missing message with the mapped error and stays usable', async () => {
    const target = await serve();
    const client = await connect(target);
    await expectFailure(client.retrStream(99), 'server-permanent');
    expect(await client.retr(3)).toEqual(MESSAGES[2]);
  });

  it('destroy() drops the connection without QUIT and fails pending commands', async () => {
    const target = await serve({ override: (verb) => verb === 'NOOP' });
    const client = await connect(target);
    await client.deleMany([1, 2]);
    const pending = client.noop();
    client.destroy();
    await expectFailure(pending, 'connection-closed');
    await delay(30);
    expect(target.receivedLines()).toContain('DELE 2');
    expect(target.receivedLines()).not.toContain('QUIT');
  });

  it('deleMany reports the first refusal', async () => {
    const target = await serve();
    const client = await connect(target);
    await expectFailure(client.deleMany([1, 7, 2]), 'server-permanent');
  });

  it('rejects invalid settings and message numbers without connecting', async () => {
    const target = await serve();
    await expectFailure(Pop3Client.connect(optionsFor(target, { username: 'a\r\nDELE 1' })), 'config-invalid');
    await expectFailure(Pop3Client.connect(optionsFor(target, { port: 0 })), 'config-invalid');
    const client = await connect(target);
    await expectFailure(client.retr(0), 'validation');
    await expectFailure(client.retr(1.5), 'validation');
  });

  it('reports connection-refused for a closed port', async () => {
    const probe = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => probe.once('listening', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    await expectFailure(
      Pop3Client.connect({ ...optionsFor({ host: '127.0.0.1', port } as ScriptedServer) }),
      'connection-refused',
    );
  });

  it('reports name-resolution for an unknown host', async () => {
    const options: Pop3ConnectOptions = {
      host: 'no-such-host.invalid',
      port: 110,
      transport: 'plain',
      tlsMode: 'strict',
      username: 'u',
      password: PASSWORD,
    };
    await expectFailure(Pop3Client.connect({ ...options, timeouts: { connectMs: 5_000 } }), 'name-resolution');
  });
});
