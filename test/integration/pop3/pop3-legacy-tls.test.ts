/**
 * A server that speaks only TLS 1.0 (as Exchange 2007 does): a Node TLS server limited to TLSv1
 * at OpenSSL security level 0, with the local test CA's certificate, speaking POP3 over implicit
 * TLS and over STLS. The default (TLS 1.2 minimum) is refused at the tls step; a connector that
 * opts in with minTlsVersion TLSv1 authenticates, and the probe warns about it.
 */
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { createSecureContext, createServer as createTlsServer, TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJournalwireError } from '#errors';
import { Pop3Client, probeMailbox, type Pop3ConnectOptions, type Pop3Transport } from '#pop3';
import { testEnv } from '#test-support';
import { connectOptionsFor, createTestMailbox, type TestMailbox } from '../../support/pop3-mailboxes.js';
import { pop3Mailbox, ScriptedConnection } from '../../support/pop3-scripted-server.js';

const tlsDir = dirname(testEnv.pop3CaFile);
const ca = readFileSync(testEnv.pop3CaFile, 'utf8');
const tls10 = {
  key: readFileSync(join(tlsDir, 'server.key')),
  cert: readFileSync(join(tlsDir, 'server.pem')),
  minVersion: 'TLSv1',
  maxVersion: 'TLSv1',
  ciphers: 'DEFAULT:@SECLEVEL=0',
} as const;
const MESSAGE = Buffer.from('Subject: from an old Exchange\r\n\r\nbody\r\n');
const mailbox = () => pop3Mailbox({ messages: [MESSAGE], capabilities: ['UIDL', 'USER', 'RESP-CODES', 'STLS'] });

const servers: Server[] = [];
const ports = { pop3s: 0, stls: 0 };
let dovecotMailbox: TestMailbox;

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  dovecotMailbox = await createTestMailbox('jwtls10');
  const serve = mailbox();
  ports.pop3s = await listen(createTlsServer(tls10, (socket) => void serve(new ScriptedConnection(socket))));
  const context = createSecureContext(tls10);
  ports.stls = await listen(
    createTcpServer((socket) => {
      const plain = new ScriptedConnection(socket);
      void pop3Mailbox({
        capabilities: ['UIDL', 'USER', 'STLS'],
        override: async (verb) => {
          if (verb !== 'STLS') return false;
          await plain.write('+OK begin TLS\r\n');
          const secured = new TLSSocket(socket, { isServer: true, secureContext: context });
          // The session goes on over TLS, without a second greeting; this stage ends with it.
          await pop3Mailbox({ messages: [MESSAGE], skipGreeting: true })(new ScriptedConnection(secured));
          return true;
        },
      })(plain);
    }),
  );
});

afterAll(async () => {
  await dovecotMailbox?.delete();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

function options(transport: Pop3Transport, overrides: Partial<Pop3ConnectOptions> = {}): Pop3ConnectOptions {
  return {
    host: '127.0.0.1',
    port: transport === 'pop3s' ? ports.pop3s : ports.stls,
    transport,
    tlsMode: 'strict',
    ca,
    username: 'journal',
    password: 'secret',
    timeouts: { connectMs: 5000, greetingMs: 5000, commandMs: 5000 },
    ...overrides,
  };
}

describe.each(['pop3s', 'stls'] as const)('a TLS 1.0-only server over %s', (transport) => {
  it('is refused at the tls step by default, with a hint at minTlsVersion', async () => {
    const error = await Pop3Client.connect(options(transport)).then(
      (client) => {
        client.destroy();
        return expect.unreachable('expected tls-failed');
      },
      (failure: unknown) => failure,
    );
    if (!isJournalwireError(error, 'tls-failed')) throw error;
    expect(error.message).toMatch(/minTlsVersion to TLSv1/);

    const report = await probeMailbox(options(transport));
    expect(report.ok).toBe(false);
    expect(report.steps.at(-1)).toMatchObject({ step: transport === 'pop3s' ? 'tls' : 'stls', ok: false });
    expect(report.warnings).toEqual([]);
  });

  it('authenticates and retrieves byte for byte with minTlsVersion TLSv1, verifying the certificate', async () => {
    const client = await Pop3Client.connect(options(transport, { minTlsVersion: 'TLSv1' }));
    expect(client.tls).toMatchObject({ protocol: 'TLSv1', authorized: true });
    expect(await client.retr(1)).toEqual(MESSAGE);
    await client.quit();

    const report = await probeMailbox(options(transport, { minTlsVersion: 'TLSv1' }));
    expect(report).toMatchObject({ ok: true, mailbox: { count: 1 } });
    expect(report.warnings).toEqual([
      expect.stringContaining('TLS versions down to TLSv1 are allowed'),
      'The server negotiated TLSv1, which is outdated: upgrade the server to TLS 1.2.',
    ]);
  });

  it('still negotiates TLS 1.2 or newer with a modern server (Dovecot) when the opt-in is set', async () => {
    const client = await Pop3Client.connect(connectOptionsFor(dovecotMailbox, transport, { minTlsVersion: 'TLSv1' }));
    expect(client.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    await client.quit();
  });
});
