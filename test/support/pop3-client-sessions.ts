/**
 * For the POP3 client's specs: scripted servers and the clients connected to them, all closed by
 * `close()` (call it after each test).
 */
import { expect } from 'vitest';
import { isJournalwireError, type ErrorCode, type JournalwireError } from '#errors';
import { Pop3Client, type Pop3ConnectOptions } from '#pop3';
import { pop3Mailbox, startScriptedServer, type MailboxScript, type ScriptedServer } from './pop3-scripted-server.js';

export function pop3ClientSessions(mailbox: { messages: Buffer[]; password: string }) {
  const servers: ScriptedServer[] = [];
  const clients: Pop3Client[] = [];

  /** Closes `server` with the others. */
  function track(server: ScriptedServer): ScriptedServer {
    servers.push(server);
    return server;
  }

  /** A mailbox of the given messages and password, adjusted by `script`. */
  async function serve(script: MailboxScript = {}): Promise<ScriptedServer> {
    return track(
      await startScriptedServer(pop3Mailbox({ messages: mailbox.messages, password: mailbox.password, ...script })),
    );
  }

  /** Plain POP3 to `target` as journal with the mailbox's password. */
  function optionsFor(target: ScriptedServer, overrides: Partial<Pop3ConnectOptions> = {}): Pop3ConnectOptions {
    return {
      host: target.host,
      port: target.port,
      transport: 'plain',
      tlsMode: 'strict',
      username: 'journal',
      password: mailbox.password,
      ...overrides,
    };
  }

  async function connect(target: ScriptedServer, overrides: Partial<Pop3ConnectOptions> = {}): Promise<Pop3Client> {
    const client = await Pop3Client.connect(optionsFor(target, overrides));
    clients.push(client);
    return client;
  }

  async function close(): Promise<void> {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  }

  return { track, serve, optionsFor, connect, close };
}

/** The JournalwireError of `code` that `promise` rejects with (any other outcome fails the test). */
export async function expectFailure(promise: Promise<unknown>, code: ErrorCode): Promise<JournalwireError> {
  const error = await promise.then(
    () => expect.unreachable(`expected a ${code} error`),
    (failure: unknown) => failure,
  );
  if (!isJournalwireError(error, code)) throw error;
  return error;
}
