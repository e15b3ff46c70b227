import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JournalwireError } from '#errors';
import { createLogger } from '#logger';
import type { ProtocolLogEntry } from '#contracts';
import type { Pop3ConnectOptions } from '#pop3';
import type { SessionResult } from './extraction-session.js';
import { SessionTraces } from './session-traces.js';

const options: Pop3ConnectOptions = {
  host: 'mail.contoso.com',
  port: 995,
  transport: 'pop3s',
  tlsMode: 'strict',
  username: 'CONTOSO\\journal',
  password: 'Pa55-word',
};

function result(overrides: Partial<SessionResult> = {}): SessionResult {
  return {
    connectorId: 'c1',
    outcome: 'completed',
    error: null,
    startedAt: new Date(),
    endedAt: new Date(),
    mailboxQueue: 0,
    extracted: 0,
    deleted: 0,
    skipped: [],
    moreRemaining: false,
    ...overrides,
  };
}

function harness(append: (connectorId: string, entry: ProtocolLogEntry) => Promise<void>) {
  const logged: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ service: 'test', level: 'info', destination });
  return { traces: new SessionTraces({ append }, logger), logged };
}

describe('SessionTraces', () => {
  it("stores the session's redacted trace with its outcome, and still feeds standard output", async () => {
    const stored: Array<[string, ProtocolLogEntry]> = [];
    const { traces } = harness(async (id, entry) => void stored.push([id, entry]));
    const stdout: string[] = [];
    const sink = traces.begin('c1', options, (direction, line) => stdout.push(`${direction} ${line}`));
    sink('server', '+OK ready');
    sink('client', `PASS ${options.password}`);
    sink('server', '-ERR Logon failure: unknown user name or bad password.');
    const failure = new JournalwireError('authentication', 'The POP3 server rejected the login');
    traces.end('c1', result({ outcome: 'failed', error: failure }));
    await new Promise((resolve) => setImmediate(resolve));

    expect(stdout).toHaveLength(3);
    expect(stored).toHaveLength(1);
    const [id, entry] = stored[0]!;
    expect(id).toBe('c1');
    expect(entry).toMatchObject({
      kind: 'session',
      outcome: 'failed',
      error: { code: 'authentication', message: 'The POP3 server rejected the login' },
    });
    expect(entry.lines.map((l) => l.line)).toEqual([
      '+OK ready',
      'PASS [redacted]',
      '-ERR Logon failure: unknown user name or bad password.',
    ]);
    expect(JSON.stringify(entry)).not.toContain(options.password);
  });

  it('stores nothing for a connector whose session was not recorded, and each session once', async () => {
    const stored: string[] = [];
    const { traces } = harness(async (id) => void stored.push(id));
    traces.end('other', result());
    traces.begin('c1', options, () => undefined);
    traces.end('c1', result());
    traces.end('c1', result());
    await new Promise((resolve) => setImmediate(resolve));
    expect(stored).toEqual(['c1']);
  });

  it('logs a warning, never throws, when the store is unavailable', async () => {
    const { traces, logged } = harness(async () => {
      throw new Error('redis down');
    });
    traces.begin('c1', options, () => undefined);
    expect(() => traces.end('c1', result())).not.toThrow();
    for (let turn = 0; turn < 100 && logged.length === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(logged.join('')).toMatch(/protocol log: could not store the session trace \(redis down\)/);
  });
});
