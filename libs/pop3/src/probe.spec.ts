import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pop3Mailbox, startScriptedServer, type ScriptedServer } from '../../../test/support/pop3-scripted-server.js';
import { probeMailbox, type Pop3ConnectOptions } from './index.js';

let server: ScriptedServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const message = Buffer.from('Subject: probe\r\n\r\nbody\r\n');

function optionsFor(port: number, password = 'secret'): Pop3ConnectOptions {
  return { host: '127.0.0.1', port, transport: 'plain', tlsMode: 'strict', username: 'journal', password };
}

describe('probeMailbox against a scripted server', () => {
  it('reports each step with its timing and the mailbox size, then QUITs without retrieving or deleting', async () => {
    server = await startScriptedServer(pop3Mailbox({ messages: [message, message] }));
    const report = await probeMailbox(optionsFor(server.port));
    expect(report).toMatchObject({ ok: true, mailbox: { count: 2, size: message.length * 2 } });
    expect(report.error).toBeUndefined();
    expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
      ['name-resolution', true],
      ['tcp', true],
      ['greeting', true],
      ['capabilities', true],
      ['authentication', true],
      ['stat', true],
    ]);
    for (const step of report.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
    expect(server.receivedLines().filter((line) => /^(RETR|DELE|TOP)/.test(line))).toEqual([]);
    expect(server.receivedLines().at(-1)).toBe('QUIT');
  });

  it('reports a wrong password at the authentication step, without the password', async () => {
    server = await startScriptedServer(pop3Mailbox());
    const report = await probeMailbox(optionsFor(server.port, 'wrong-password'));
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('authentication');
    expect(report.steps.at(-1)).toMatchObject({ step: 'authentication', ok: false });
    expect(JSON.stringify(report)).not.toContain('wrong-password');
  });

  it('reports a closed port at the tcp step as connection-refused', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const report = await probeMailbox(optionsFor(port));
    expect(report).toMatchObject({ ok: false, error: { code: 'connection-refused' } });
    expect(report.steps.map((step) => [step.step, step.ok])).toEqual([
      ['name-resolution', true],
      ['tcp', false],
    ]);
  });

  it('reports invalid settings without steps', async () => {
    const report = await probeMailbox({ ...optionsFor(110), host: '' });
    expect(report).toMatchObject({ ok: false, steps: [], error: { code: 'config-invalid' } });
  });
});
