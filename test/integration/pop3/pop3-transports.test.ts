/**
 * The client against the real local Dovecot over POP3S, STLS and plain: byte-exact retrieval of
 * the messages that break naive clients, UIDL stability, and DELE semantics.
 * Needs `deploy/local/stack.sh start dovecot` (mailbox.sh starts it when it is down).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pop3Client, type Pop3Transport } from '#pop3';
import { journalMessage, sha256 } from '../../support/pop3-corpus.js';
import { connectOptionsFor, createTestMailbox, type TestMailbox } from '../../support/pop3-mailboxes.js';

const TRANSPORTS: Pop3Transport[] = ['pop3s', 'stls', 'plain'];
const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const ALL_8BIT = Buffer.from(
  Array.from({ length: 256 }, (_, byte) => byte).filter((byte) => byte !== 0x0a && byte !== 0x0d && byte !== 0),
);

/** Each message ends with CRLF and uses CRLF line ends only (Dovecot stores them as is, mail_save_crlf). */
const MESSAGES: Array<{ name: string; data: Buffer }> = [
  {
    name: 'dot-leading lines',
    data: latin1('Subject: dots\r\n\r\n.leading\r\n..two\r\n...three\r\nnot.leading\r\n.\r\n'),
  },
  { name: 'a lone "." line in the body', data: latin1('Subject: lone dot\r\n\r\nbefore\r\n.\r\nafter\r\n') },
  { name: 'a body that ends with a "." line', data: latin1('Subject: dot last\r\n\r\nbody\r\n.\r\n') },
  {
    name: '8-bit Latin-1 body',
    data: latin1(
      'Subject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nGr\xfc\xdfe, caf\xe9 cr\xe8me, \xa7 \xb5 \xff\r\n',
    ),
  },
  {
    name: 'every 8-bit byte value',
    data: Buffer.concat([latin1('Subject: bytes\r\n\r\n'), ALL_8BIT, latin1('\r\n.'), ALL_8BIT, latin1('\r\n')]),
  },
  { name: 'empty body', data: latin1('Subject: empty\r\n\r\n') },
  { name: 'a long line', data: latin1(`Subject: long\r\n\r\n${'x'.repeat(5000)}\r\n.${'y'.repeat(998)}\r\n`) },
  { name: 'a journal report', data: journalMessage(7, 40_000) },
];

let mailbox: TestMailbox;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'jw-pop3-transports-'));
  const files = await Promise.all(
    MESSAGES.map(async ({ data }, index) => {
      const path = join(workDir, `${index + 1}.eml`);
      await writeFile(path, data);
      return path;
    }),
  );
  mailbox = await createTestMailbox();
  await mailbox.deliver(files);
});

afterAll(async () => {
  await mailbox?.delete();
  await rm(workDir, { recursive: true, force: true });
});

describe.each(TRANSPORTS)('over %s', (transport) => {
  it('retrieves every message byte for byte (sha256 and size match the source, LIST and the Maildir file)', async () => {
    const client = await Pop3Client.connect(connectOptionsFor(mailbox, transport));
    try {
      expect(await client.stat()).toEqual({
        count: MESSAGES.length,
        size: MESSAGES.reduce((sum, m) => sum + m.data.length, 0),
      });
      const listing = await client.list();
      const uids = await client.uidl();
      for (const [index, { name, data }] of MESSAGES.entries()) {
        const retrieved = await client.retr(index + 1);
        expect({ name, sha256: sha256(retrieved), size: retrieved.length }).toEqual({
          name,
          sha256: sha256(data),
          size: data.length,
        });
        expect(listing[index]).toEqual({ msg: index + 1, size: data.length });
        const stored = await mailbox.maildirFile(uids[index]?.uid ?? '');
        expect(stored?.equals(retrieved), `${name}: Maildir file`).toBe(true);
      }
      await client.quit();
    } finally {
      client.destroy();
    }
  });

  it('retrieves them pipelined with retrieveMany, in order, and TOP keeps the header block', async () => {
    const client = await Pop3Client.connect(connectOptionsFor(mailbox, transport));
    try {
      expect(client.pipelining).toBe(true);
      expect(client.capabilities.has('UIDL')).toBe(true);
      const numbers = MESSAGES.map((_, index) => index + 1);
      const retrieved: number[] = [];
      for await (const { msg, data } of client.retrieveMany(numbers, { window: 4 })) {
        expect(sha256(data)).toBe(sha256(MESSAGES[msg - 1]?.data ?? Buffer.alloc(0)));
        retrieved.push(msg);
      }
      expect(retrieved).toEqual(numbers);
      const top = await client.top(4, 0);
      const source = MESSAGES[3]?.data ?? Buffer.alloc(0);
      expect(top).toEqual(source.subarray(0, source.indexOf('\r\n\r\n') + 4));
      await client.quit();
    } finally {
      client.destroy();
    }
  });

  it('reports the TLS peer (verified) on encrypted transports only', async () => {
    const client = await Pop3Client.connect(connectOptionsFor(mailbox, transport));
    try {
      if (transport === 'plain') {
        expect(client.tls).toBeNull();
      } else {
        expect(client.tls).toMatchObject({ authorized: true, authorizationError: null, subject: 'CN=localhost' });
        expect(client.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
        expect(client.tls?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      }
      await client.quit();
    } finally {
      client.destroy();
    }
  });
});

describe('session semantics', () => {
  it('keeps UIDLs stable across sessions and transports', async () => {
    const seen: string[][] = [];
    for (const transport of [...TRANSPORTS, 'pop3s' as const]) {
      const client = await Pop3Client.connect(connectOptionsFor(mailbox, transport));
      seen.push((await client.uidl()).map((entry) => `${entry.msg} ${entry.uid}`));
      await client.quit();
    }
    expect(seen[0]).toHaveLength(MESSAGES.length);
    expect(new Set(seen[0]).size).toBe(MESSAGES.length);
    for (const uids of seen) expect(uids).toEqual(seen[0]);
  });

  it('commits DELE only on QUIT: destroy() keeps the messages, RSET undoes, QUIT removes', async () => {
    const deletions = await createTestMailbox();
    try {
      const files = await Promise.all(
        [1, 2, 3, 4].map(async (index) => {
          const path = join(workDir, `dele-${index}.eml`);
          await writeFile(path, journalMessage(index, 500));
          return path;
        }),
      );
      await deletions.deliver(files);
      const options = connectOptionsFor(deletions, 'pop3s');

      const dropped = await Pop3Client.connect(options);
      const uidsBefore = await dropped.uidl();
      await dropped.deleMany([1, 2]);
      expect(await dropped.stat()).toMatchObject({ count: 2 });
      dropped.destroy();
      expect(await deletions.count()).toBe(4);

      const undone = await Pop3Client.connect(options);
      await undone.dele(1);
      await undone.rset();
      await undone.quit();
      expect(await deletions.count()).toBe(4);

      const committed = await Pop3Client.connect(options);
      await committed.deleMany([1, 2, 4]);
      await committed.noop();
      await committed.quit();
      expect(await deletions.count()).toBe(1);

      const after = await Pop3Client.connect(options);
      expect((await after.uidl()).map((entry) => entry.uid)).toEqual([uidsBefore[2]?.uid]);
      await after.quit();
    } finally {
      await deletions.delete();
    }
  });
});
