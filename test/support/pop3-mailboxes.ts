/**
 * Fresh, uniquely named mailboxes in the local Dovecot (deploy/local/mailbox.sh), for the POP3
 * integration tests and the benchmark. Run from the repository root.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Pop3ConnectOptions, Pop3Transport } from '#pop3';

const run = promisify(execFile);

export interface LocalPop3Server {
  host: string;
  /** Plain POP3 with STLS. */
  port: number;
  /** Implicit TLS. */
  pop3sPort: number;
  /** The local test CA that issued Dovecot's certificate (valid for localhost and 127.0.0.1 only). */
  caFile: string;
  /** An address Dovecot also listens on but that its certificate does not name. */
  mismatchedHost: string;
  mailRoot: string;
}

export function localPop3Server(env: NodeJS.ProcessEnv = process.env): LocalPop3Server {
  const runDir = env.JW_RUN_DIR ?? '/tmp/journalwire';
  return {
    host: env.POP3_HOST ?? '127.0.0.1',
    port: Number(env.POP3_PORT ?? 11110),
    pop3sPort: Number(env.POP3S_PORT ?? 11995),
    caFile: env.POP3_CA_FILE ?? `${runDir}/dovecot/tls/ca.pem`,
    mismatchedHost: '127.0.0.2',
    mailRoot: `${runDir}/dovecot/mail`,
  };
}

const MAILBOX_SCRIPT = resolve(process.env.JW_REPO_ROOT ?? process.cwd(), 'deploy/local/mailbox.sh');

async function mailboxSh(...args: string[]): Promise<string> {
  const { stdout } = await run(MAILBOX_SCRIPT, args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

export class TestMailbox {
  constructor(
    readonly user: string,
    readonly password: string,
    private readonly server: LocalPop3Server,
  ) {}

  /** Delivers the files in order (POP3 message n = files[n-1]). */
  async deliver(files: readonly string[]): Promise<void> {
    // Keep each command line well below ARG_MAX.
    for (let from = 0; from < files.length; from += 2_000)
      await mailboxSh('deliver', this.user, ...files.slice(from, from + 2_000));
  }

  async count(): Promise<number> {
    return Number(await mailboxSh('count', this.user));
  }

  async clear(): Promise<void> {
    await mailboxSh('clear', this.user);
  }

  async delete(): Promise<void> {
    await mailboxSh('delete', this.user);
  }

  /** The stored Maildir file of a message, found by its UIDL (Dovecot's pop3_uidl_format is the file's base name). */
  async maildirFile(uid: string): Promise<Buffer | null> {
    const maildir = join(this.server.mailRoot, this.user, 'Maildir');
    for (const folder of ['cur', 'new']) {
      const names = await readdir(join(maildir, folder)).catch(() => [] as string[]);
      const name = names.find(
        (candidate) => candidate === uid || candidate.startsWith(`${uid}:`) || candidate.startsWith(`${uid},`),
      );
      if (name) return readFile(join(maildir, folder, name));
    }
    return null;
  }
}

/** Creates a mailbox with a unique name and a random password. */
export async function createTestMailbox(
  prefix = 'jwpop3',
  server: LocalPop3Server = localPop3Server(),
): Promise<TestMailbox> {
  const user = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const password = `pw:${randomBytes(9).toString('base64url')}`;
  await mailboxSh('create', user, password);
  return new TestMailbox(user, password, server);
}

/** Connection options for a test mailbox over one transport (strict TLS with the local CA). */
export function connectOptionsFor(
  mailbox: Pick<TestMailbox, 'user' | 'password'>,
  transport: Pop3Transport,
  overrides: Partial<Pop3ConnectOptions> = {},
  server: LocalPop3Server = localPop3Server(),
): Pop3ConnectOptions {
  return {
    host: server.host,
    port: transport === 'pop3s' ? server.pop3sPort : server.port,
    transport,
    tlsMode: 'strict',
    ca: readFileSync(server.caFile),
    username: mailbox.user,
    password: mailbox.password,
    ...overrides,
  };
}
