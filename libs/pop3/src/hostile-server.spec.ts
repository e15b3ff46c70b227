import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answering,
  endlessAnswer,
  dotStuff,
  startScriptedServer,
  type ScriptedServer,
} from '../../../test/support/pop3-scripted-server.js';
import { expectFailure, pop3ClientSessions } from '../../../test/support/pop3-client-sessions.js';
import { probeMailbox } from './index.js';

const MESSAGES = [Buffer.from('Subject: one\r\n\r\nbody\r\n'), Buffer.from('Subject: two\r\n\r\nbody\r\n')];
const pop3 = pop3ClientSessions({ messages: MESSAGES, password: 'secret' });
const { serve, optionsFor, connect } = pop3;

afterEach(() => pop3.close());

/** The server side of the session is closed: the client freed the connection. */
async function serverSideClosed(target: ScriptedServer): Promise<void> {
  const socket = target.connections[0]?.socket;
  // Not events.once: the reset the client causes is an 'error' here, and that is expected.
  if (socket && !socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
}

describe('Pop3Client against hostile servers', () => {
  it('drops a server that never greets at the session deadline', async () => {
    const server = pop3.track(await startScriptedServer(() => undefined));
    const error = await expectFailure(
      connect(server, { timeouts: { greetingMs: 60_000, commandMs: 60_000, sessionMs: 150 } }),
      'deadline-exceeded',
    );
    expect(error.message).toMatch(/did not complete the session within its deadline of 150 ms/);
    expect(error.retryable).toBe(true);
    await serverSideClosed(server);
  });

  it('drops a greeting trickled a byte at a time (the idle timer never fires) at its deadline', async () => {
    const server = pop3.track(await startScriptedServer((connection) => connection.trickle('+OK slowly')));
    const error = await expectFailure(
      connect(server, { timeouts: { greetingMs: 150, commandMs: 60_000 } }),
      'deadline-exceeded',
    );
    expect(error.message).toMatch(/the greeting within its deadline of 150 ms/);
    await serverSideClosed(server);
  });

  it('drops a server that trickles a response at the command deadline, failing everything pending', async () => {
    const target = await serve({
      override: answering('STAT', async (connection) => {
        await connection.trickle('+OK 2 48');
      }),
    });
    const client = await connect(target, { timeouts: { commandMs: 60_000, commandDeadlineMs: 200 } });
    const [stat, noop] = [client.stat(), client.noop()];
    noop.catch(() => undefined);
    const error = await expectFailure(stat, 'deadline-exceeded');
    expect(error.message).toMatch(/the response to STAT within its deadline of 200 ms/);
    await expectFailure(noop, 'deadline-exceeded');
    await serverSideClosed(target);
  });

  it('drops a session that outlives its deadline while the server keeps answering slowly', async () => {
    const target = await serve({
      override: async (verb) => {
        if (verb === 'NOOP') await delay(20);
        return false;
      },
    });
    const client = await connect(target, { timeouts: { sessionMs: 300 } });
    const error = await expectFailure(
      (async () => {
        for (;;) await client.noop();
      })(),
      'deadline-exceeded',
    );
    expect(error.message).toMatch(/the session within its deadline of 300 ms/);
    await serverSideClosed(target);
  });

  it('drops an endless CAPA at its byte cap', async () => {
    const target = await serve({
      override: endlessAnswer('CAPA', 'X-ENDLESS-CAPABILITY '.repeat(50) + '\r\n', '+OK\r\nUIDL\r\n'),
    });
    const error = await expectFailure(connect(target), 'response-too-large');
    expect(error.message).toMatch(/more than 65536 bytes in the response to CAPA/);
    expect(error.retryable).toBe(false);
    await serverSideClosed(target);
  });

  it('drops an endless UIDL at a cap derived from the STAT count', async () => {
    const target = await serve({
      override: answering('UIDL', async (connection) => {
        await connection.write('+OK\r\n');
        let n = 0;
        const lines = (): string => Array.from({ length: 100 }, () => `${++n} ${'u'.repeat(60)}\r\n`).join('');
        while (!connection.socket.destroyed) await connection.write(lines());
      }),
    });
    const client = await connect(target);
    expect((await client.stat()).count).toBe(2);
    const error = await expectFailure(client.uidl(), 'response-too-large');
    expect(error.details['limitBytes']).toBe(2 * 128 + 64 * 1024);
    await serverSideClosed(target);
  });

  it('refuses a unique-id longer than RFC 1939 allows, naming the message', async () => {
    const target = await serve({
      override: async (verb, _args, connection) => {
        if (verb !== 'UIDL') return false;
        await connection.write(`+OK\r\n1 ${'u'.repeat(70)}\r\n2 ${'v'.repeat(30_000)}\r\n.\r\n`);
        return true;
      },
    });
    const client = await connect(target);
    const error = await expectFailure(client.uidl(), 'protocol');
    expect(error.message).toMatch(/message 2 a unique-id of 30000 characters \(RFC 1939 allows at most 70\)/);
  });

  it('caps UIDL and LIST without a STAT at maxListingBytes', async () => {
    const target = await serve({
      override: endlessAnswer('LIST', '1 100\r\n'.repeat(1000)),
    });
    const client = await connect(target, { limits: { maxListingBytes: 100_000 } });
    const error = await expectFailure(client.list(), 'response-too-large');
    expect(error.details['limitBytes']).toBe(100_000);
  });

  it('drops a RETR far larger than its LIST size, and accepts one within the tolerance', async () => {
    const huge = Buffer.alloc(3 * 1024 * 1024, 'a');
    const target = await serve({
      override: answering('RETR', async (connection, args) => {
        // LIST says 22 bytes for each; message 1 comes back slightly larger, message 2 enormous.
        const body = args === '1' ? Buffer.from(`${'b'.repeat(4094)}\r\n`) : huge;
        await connection.write(Buffer.concat([Buffer.from('+OK\r\n'), dotStuff(body)]));
      }),
    });
    const client = await connect(target, { limits: { retrSizeFactor: 2, retrSizeSlackBytes: 64 * 1024 } });
    await client.list();
    expect((await client.retr(1)).length).toBe(4096);
    const error = await expectFailure(client.retr(2), 'response-too-large');
    expect(error.details['limitBytes']).toBe(22 * 2 + 64 * 1024);
    expect(error.message).toMatch(/the response to RETR/);
    await serverSideClosed(target);
  });

  it('fails a streamed RETR far larger than its LIST size', async () => {
    const target = await serve({
      override: endlessAnswer('RETR', 'x'.repeat(8190) + '\r\n'),
    });
    const client = await connect(target, { limits: { retrSizeSlackBytes: 100_000 } });
    await client.list();
    const stream = await client.retrStream(1);
    const error = await expectFailure(
      (async () => {
        for await (const chunk of stream) void chunk;
      })(),
      'response-too-large',
    );
    expect(error.details['limitBytes']).toBe(22 * 2 + 100_000);
  });

  it('a test extraction (probe) against an endless CAPA reports the error at the capabilities step', async () => {
    const target = await serve({
      override: endlessAnswer('CAPA', 'X'.repeat(1000) + '\r\n'),
    });
    const report = await probeMailbox(optionsFor(target));
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('response-too-large');
    expect(report.steps.at(-1)).toMatchObject({ step: 'capabilities', ok: false });
    await serverSideClosed(target);
  });
});
