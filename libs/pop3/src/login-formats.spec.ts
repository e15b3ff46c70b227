import { afterEach, describe, expect, it } from 'vitest';
import {
  pop3Mailbox,
  startScriptedServer,
  type MailboxScript,
  type ScriptedServer,
} from '../../../test/support/pop3-scripted-server.js';
import { Pop3Client } from './index.js';

/** Exchange login formats: down-level name with a shared-mailbox alias, and UPN. */
const LOGINS = ['CONTOSO\\journal.svc\\journal', 'journal@contoso.com', 'CONTOSO\\jürgen.müller'];
const PASSWORD = 'Pa55 wörd\\"%';

let server: ScriptedServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A server that keeps every byte the client sent, and accepts only `login` with PASSWORD. */
async function serve(login: string, script: MailboxScript): Promise<{ bytes: () => Buffer }> {
  const chunks: Buffer[] = [];
  const mailbox = pop3Mailbox({ username: login, password: PASSWORD, ...script });
  server = await startScriptedServer((connection) => {
    connection.socket.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    return mailbox(connection);
  });
  return { bytes: () => Buffer.concat(chunks) };
}

async function login(username: string): Promise<void> {
  const target = server as ScriptedServer;
  const client = await Pop3Client.connect({
    host: target.host,
    port: target.port,
    transport: 'plain',
    tlsMode: 'strict',
    username,
    password: PASSWORD,
  });
  await client.quit();
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('Exchange login formats', () => {
  it.each(LOGINS)('USER/PASS sends %s and the password byte for byte', async (name) => {
    const sent = await serve(name, { capabilities: ['UIDL', 'USER', 'RESP-CODES'] });
    await login(name);
    expect(sent.bytes()).toEqual(utf8(`CAPA\r\nUSER ${name}\r\nPASS ${PASSWORD}\r\nCAPA\r\nQUIT\r\n`));
  });

  it.each(LOGINS)('AUTH PLAIN carries %s as the authentication identity, byte for byte', async (name) => {
    const sent = await serve(name, { capabilities: ['UIDL', 'SASL PLAIN', 'RESP-CODES'] });
    await login(name);
    const token = Buffer.concat([utf8('\0'), utf8(name), utf8('\0'), utf8(PASSWORD)]).toString('base64');
    expect(sent.bytes()).toEqual(utf8(`CAPA\r\nAUTH PLAIN ${token}\r\nCAPA\r\nQUIT\r\n`));
  });

  it('AUTH PLAIN answers a challenge when the initial response would make the line too long', async () => {
    const name = `CONTOSO\\journal.svc\\${'a'.repeat(200)}`;
    let challenged = false;
    const sent = await serve(name, {
      capabilities: ['SASL PLAIN'],
      override: async (verb, args, connection) => {
        if (verb !== 'AUTH' || args !== 'PLAIN') return false;
        challenged = true;
        await connection.write('+ \r\n');
        const response = await connection.readLine();
        const [, user, pass] = Buffer.from(response ?? '', 'base64')
          .toString('utf8')
          .split('\0');
        await connection.write(user === name && pass === PASSWORD ? '+OK\r\n' : '-ERR [AUTH] no\r\n');
        return true;
      },
    });
    await login(name);
    expect(challenged).toBe(true);
    const token = Buffer.from(`\0${name}\0${PASSWORD}`, 'utf8').toString('base64');
    expect(sent.bytes()).toEqual(utf8(`CAPA\r\nAUTH PLAIN\r\n${token}\r\nCAPA\r\nQUIT\r\n`));
  });
});
