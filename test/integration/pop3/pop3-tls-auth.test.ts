/**
 * TLS verification (strict / relaxed), login failures and probeMailbox against the real local
 * Dovecot. Its certificate, issued by a local test CA, names localhost and 127.0.0.1 only;
 * Dovecot also listens on 127.0.0.2 for the host-name mismatch.
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJournalwireError, type ErrorCode } from '#errors';
import { Pop3Client, probeMailbox, type Pop3ConnectOptions } from '#pop3';
import {
  connectOptionsFor,
  createTestMailbox,
  localPop3Server,
  type TestMailbox,
} from '../../support/pop3-mailboxes.js';

const server = localPop3Server();
let mailbox: TestMailbox;
let serverFingerprint: string;

beforeAll(async () => {
  mailbox = await createTestMailbox('jwtls');
  serverFingerprint = new X509Certificate(readFileSync(join(dirname(server.caFile), 'server.pem'))).fingerprint256;
});

afterAll(async () => {
  // Dovecot delays every login from an IP after a failed one (auth penalty) until a login succeeds:
  // end with a good login so that the suites after this one are not slowed down.
  if (mailbox) await (await Pop3Client.connect(options({ transport: 'pop3s' }))).quit();
  await mailbox?.delete();
});

function options(overrides: Partial<Pop3ConnectOptions> & Pick<Pop3ConnectOptions, 'transport'>): Pop3ConnectOptions {
  const { transport, ...rest } = overrides;
  return connectOptionsFor(mailbox, transport, rest);
}

async function connectFails(connectOptions: Pop3ConnectOptions, code: ErrorCode): Promise<Error> {
  const error = await Pop3Client.connect(connectOptions).then(
    (client) => {
      client.destroy();
      return expect.unreachable(`expected ${code}`);
    },
    (failure: unknown) => failure,
  );
  if (!isJournalwireError(error, code)) throw error;
  expect(error.message).not.toContain(connectOptions.password);
  return error;
}

describe('strict TLS', () => {
  it.each(['pop3s', 'stls'] as const)(
    'refuses the certificate over %s when its CA is not trusted (tls-untrusted)',
    async (transport) => {
      const { ca: _ca, ...withoutCa } = options({ transport });
      const error = await connectFails(withoutCa, 'tls-untrusted');
      expect(error.message).toContain('CN=localhost');
      expect(error.message).toContain('journalwire local test CA');
      expect(error.message).toMatch(/CA bundle/);
    },
  );

  it.each(['pop3s', 'stls'] as const)(
    'refuses a host name the certificate does not name over %s (tls-hostname)',
    async (transport) => {
      const error = await connectFails(options({ transport, host: server.mismatchedHost }), 'tls-hostname');
      expect(error.message).toContain(`"${server.mismatchedHost}"`);
      expect(error.message).toMatch(/valid for .*DNS:localhost.*IP Address:127\.0\.0\.1/);
    },
  );

  it('reports tls-failed when the port does not speak TLS', async () => {
    const error = await connectFails(
      options({ transport: 'pop3s', port: server.port, timeouts: { connectMs: 3_000 } }),
      'tls-failed',
    );
    expect(error.message).toMatch(/TLS handshake with .* failed/);
  });

  it('accepts that address when servername names the certificate', async () => {
    const client = await Pop3Client.connect(
      options({ transport: 'pop3s', host: server.mismatchedHost, servername: 'localhost' }),
    );
    expect(client.tls?.authorized).toBe(true);
    await client.quit();
  });
});

describe('relaxed TLS', () => {
  it.each([
    ['an untrusted CA', { host: server.host, withCa: false }],
    ['a wrong host name', { host: server.mismatchedHost, withCa: true }],
  ] as const)('accepts %s and reports the certificate', async (_case, { host, withCa }) => {
    for (const transport of ['pop3s', 'stls'] as const) {
      const { ca, ...rest } = options({ transport, host, tlsMode: 'relaxed' });
      const client = await Pop3Client.connect(withCa ? { ...rest, ca } : rest);
      expect(client.tls).toMatchObject({
        authorized: false,
        subject: 'CN=localhost',
        issuer: 'CN=journalwire local test CA',
        fingerprint256: serverFingerprint,
      });
      expect(client.tls?.authorizationError).toMatch(withCa ? /^ERR_TLS_CERT_ALTNAME_INVALID$/ : /^[A-Z_]+$/);
      expect(await client.stat()).toEqual({ count: 0, size: 0 });
      await client.quit();
    }
  });
});

describe('login', () => {
  // One failed login per successful one: see the auth penalty note above.
  it('reports a wrong password as authentication', async () => {
    const error = await connectFails(options({ transport: 'pop3s', password: 'wrong-password' }), 'authentication');
    expect(error.message).not.toContain('wrong-password');
  });

  it('never traces or reports the password', async () => {
    const trace: string[] = [];
    const client = await Pop3Client.connect(
      options({ transport: 'stls', trace: (direction, line) => trace.push(`${direction} ${line}`) }),
    );
    await client.stat();
    await client.quit();
    expect(trace).toContain('client STLS');
    expect(trace).toContain('client AUTH PLAIN [redacted]');
    const all = trace.join('\n');
    expect(all).not.toContain(mailbox.password);
    expect(all).not.toContain(Buffer.from(`\0${mailbox.user}\0${mailbox.password}`).toString('base64'));
  });
});

describe('probeMailbox', () => {
  it('succeeds over POP3S with every step and the TLS peer', async () => {
    const report = await probeMailbox(options({ transport: 'pop3s' }));
    expect(report).toMatchObject({ ok: true, mailbox: { count: 0, size: 0 } });
    expect(report.steps.map((step) => step.step)).toEqual([
      'name-resolution',
      'tcp',
      'tls',
      'greeting',
      'capabilities',
      'authentication',
      'stat',
    ]);
    expect(report.steps.every((step) => step.ok)).toBe(true);
    expect(report.steps.find((step) => step.step === 'tls')?.tls).toMatchObject({
      authorized: true,
      fingerprint256: serverFingerprint,
    });
  });

  it('succeeds over STLS, reporting the upgrade as its own step', async () => {
    const report = await probeMailbox(options({ transport: 'stls' }));
    expect(report.ok).toBe(true);
    expect(report.steps.map((step) => step.step)).toEqual([
      'name-resolution',
      'tcp',
      'greeting',
      'capabilities',
      'stls',
      'authentication',
      'stat',
    ]);
    expect(report.steps.find((step) => step.step === 'stls')?.tls?.authorized).toBe(true);
  });

  it('reports a wrong password at the authentication step', async () => {
    const report = await probeMailbox(options({ transport: 'pop3s', password: 'wrong-password' }));
    expect(report).toMatchObject({ ok: false, error: { code: 'authentication' } });
    expect(report.steps.at(-1)).toMatchObject({ step: 'authentication', ok: false });
    expect(JSON.stringify(report)).not.toContain('wrong-password');
  });

  it('reports an untrusted certificate at the tls step', async () => {
    const { ca: _ca, ...withoutCa } = options({ transport: 'pop3s' });
    const report = await probeMailbox(withoutCa);
    expect(report).toMatchObject({ ok: false, error: { code: 'tls-untrusted' } });
    expect(report.steps.at(-1)).toMatchObject({ step: 'tls', ok: false });
  });

  it('reports a closed port as connection-refused at the tcp step', async () => {
    const closed = createServer().listen(0, server.host);
    await new Promise((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const report = await probeMailbox(options({ transport: 'pop3s', port }));
    expect(report).toMatchObject({ ok: false, error: { code: 'connection-refused' } });
    expect(report.steps.at(-1)).toMatchObject({ step: 'tcp', ok: false });
  });
});
