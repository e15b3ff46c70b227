import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { headersToStrings, type GroupConsumer, type IncomingRecord, type KafkaGateway } from '#kafka';
import { testEnv } from './env.js';

const run = promisify(execFile);
const MAILBOX_SH = resolve('deploy/local/mailbox.sh');
const STACK_SH = resolve('deploy/local/stack.sh');

/** The local Dovecot's journal mailboxes (deploy/local/mailbox.sh). */
export const mailbox = {
  async create(user: string, password: string): Promise<void> {
    await run(MAILBOX_SH, ['create', user, password]);
  },
  async delete(user: string): Promise<void> {
    await run(MAILBOX_SH, ['delete', user]).catch(() => undefined);
  },
  async count(user: string): Promise<number> {
    const { stdout } = await run(MAILBOX_SH, ['count', user]);
    return Number(stdout.trim());
  },
  /** Delivers files in order (POP3 order follows it). */
  async deliver(user: string, files: string[]): Promise<void> {
    for (let i = 0; i < files.length; i += 500)
      await run(MAILBOX_SH, ['deliver', user, ...files.slice(i, i + 500)], { maxBuffer: 16 * 1024 * 1024 });
  },
};

/** Stops / starts the local broker keeping its data (for outage tests). */
export const kafkaBroker = {
  async stop(): Promise<void> {
    await run(STACK_SH, ['stop', '--keep', 'kafka'], { timeout: 120_000 });
  },
  async start(): Promise<void> {
    await run(STACK_SH, ['start', 'kafka'], { timeout: 180_000 });
  },
};

export interface GeneratedMessage {
  file: string;
  sha256: string;
  size: number;
}

/**
 * Writes `count` journal-like messages: CRLF lines (POP3 returns stored CRLF bytes unchanged),
 * sizes from 1 KiB to `maxSize`, lines that start with dots (a lone ".", "..", ".x"), and 8-bit
 * bytes (0x80-0xff; never a bare CR or LF, which a server may normalise).
 */
export async function generateMessages(
  dir: string,
  count: number,
  options: { minSize?: number; maxSize?: number; tag?: string } = {},
): Promise<GeneratedMessage[]> {
  await mkdir(dir, { recursive: true });
  const tag = options.tag ?? randomUUID().slice(0, 8);
  const minSize = options.minSize ?? 1024;
  const maxSize = options.maxSize ?? 64 * 1024;
  const out: GeneratedMessage[] = [];
  for (let i = 0; i < count; i++) {
    // Sizes spread exponentially so both many small and some large messages occur.
    const size = Math.round(minSize * (maxSize / minSize) ** (((i * 7919) % count) / Math.max(1, count - 1)));
    const bytes = journalMessage(`${tag}-${i}`, size);
    const file = join(dir, `${String(i).padStart(5, '0')}.eml`);
    await writeFile(file, bytes);
    out.push({ file, sha256: sha256(bytes), size: bytes.length });
  }
  return out;
}

export function journalMessage(id: string, approximateSize: number): Buffer {
  const head = [
    `Message-ID: <${id}@journal.test>`,
    'From: Microsoft Exchange <journal@corp.test>',
    'To: journal@corp.test',
    `Subject: Journal report ${id} caf\u00e9`,
    'Date: Thu, 27 Nov 2025 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=iso-8859-1',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Sender: alice@corp.test',
    'Recipient: bob@corp.test',
    '.',
    '..',
    '.leading dot line',
    '',
  ].join('\r\n');
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  let size = parts[0]!.length;
  let line = 0;
  while (size < approximateSize) {
    const length = 20 + ((line * 37) % 180);
    const body = randomBytes(length);
    for (let k = 0; k < body.length; k++) {
      const b = body[k]!;
      // printable ASCII or 8-bit, never CR/LF/NUL
      body[k] = b >= 0x80 ? b : 0x20 + (b % 0x5f);
    }
    if (line % 11 === 0) body[0] = 0x2e; // a dot at the start of the line
    parts.push(body, Buffer.from('\r\n'));
    size += body.length + 2;
    line++;
  }
  parts.push(Buffer.from('.\r\n.\r\nend\r\n'));
  return Buffer.concat(parts);
}

/** A message of exactly-ish `size` bytes written in chunks (never whole in memory). */
export async function writeLargeMessage(file: string, size: number): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const stream = createWriteStream(file);
  const write = (chunk: Buffer) =>
    new Promise<void>((resolveWrite, reject) => {
      hash.update(chunk);
      stream.write(chunk, (error) => (error ? reject(error) : resolveWrite()));
    });
  const head = Buffer.from(
    `Message-ID: <${randomUUID()}@journal.test>\r\nSubject: large\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  await write(head);
  let written = head.length;
  const line = Buffer.alloc(998);
  while (written < size) {
    const chunk: Buffer[] = [];
    for (let i = 0; i < 1024 && written < size; i++) {
      randomBytes(996).copy(line);
      for (let k = 0; k < 996; k++) line[k] = 0x21 + (line[k]! % 0x5d);
      if (i % 5 === 0) line[0] = 0x2e;
      line[996] = 0x0d;
      line[997] = 0x0a;
      chunk.push(Buffer.from(line));
      written += line.length;
    }
    await write(Buffer.concat(chunk));
  }
  await new Promise<void>((resolveEnd) => stream.end(resolveEnd));
  return { sha256: hash.digest('hex'), size: written };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface CollectedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Consumes a topic (read committed) from a point in time on (a fresh group, offsets never
 * committed) and keeps the records whose key or jw-connector-id header is one of the given
 * connector ids.
 */
export class TopicCollector {
  readonly records: CollectedRecord[] = [];
  private consumer: GroupConsumer | null = null;
  private readonly groupId = `journalwire-test-${randomUUID()}`;

  constructor(
    private readonly kafka: KafkaGateway,
    private readonly topic: string,
    private readonly connectorIds: Set<string>,
  ) {}

  /** Next offset to read per partition; survives consumer restarts (e.g. across a broker outage). */
  private readonly next = new Map<number, string>();
  private readonly seen = new Set<string>();

  async start(sinceMs: number): Promise<void> {
    for (const { partition, offset } of await this.kafka.topicOffsetsAt(this.topic, sinceMs))
      this.next.set(partition, offset);
    await this.consume();
  }

  /** A fresh consumer continuing where this one stopped (faster than waiting for the client to recover by itself). */
  async restart(): Promise<void> {
    await this.consumer?.stop().catch(() => undefined);
    await this.consume();
  }

  private async consume(): Promise<void> {
    // A short fetch wait: records show up promptly and stop() does not sit out a long poll.
    const consumer = this.kafka.createGroupConsumer({
      groupId: `${this.groupId}-${randomUUID().slice(0, 8)}`,
      topics: [this.topic],
      // As the services read journal.raw.v2: records of aborted (fenced) transactions do not exist.
      readCommitted: true,
      fromBeginning: false,
      fetchMaxWaitMs: 200,
      // Offsets are never committed: after every (re)join, continue exactly where reading stopped.
      onAssigned: (_assignment, seek) => {
        for (const [partition, offset] of this.next) seek({ topic: this.topic, partition, offset });
      },
      eachBatch: async ({ topic, partition, records }) => {
        for (const record of records) this.collect(topic, partition, record.offset, record);
      },
    });
    this.consumer = consumer;
    await consumer.start();
  }

  private collect(topic: string, partition: number, offset: string, record: IncomingRecord): void {
    this.next.set(partition, (BigInt(offset) + 1n).toString());
    const id = `${partition}:${offset}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const headers = headersToStrings(record.headers);
    const key = record.key?.toString('utf8') ?? null;
    const owner = headers['jw-connector-id'] ?? key ?? '';
    if (!this.connectorIds.has(owner)) return;
    this.records.push({ topic, partition, offset, key, value: record.value, headers });
  }

  forConnector(connectorId: string): CollectedRecord[] {
    return this.records.filter((r) => (r.headers['jw-connector-id'] ?? r.key) === connectorId);
  }

  async stop(): Promise<void> {
    await this.consumer?.stop().catch(() => undefined);
    // Best effort, listing included: right after a broker restart the group list may not answer.
    await this.kafka
      .listGroupIds()
      .then((ids) => this.kafka.deleteGroups(ids.filter((id) => id.startsWith(this.groupId))))
      .catch(() => undefined);
  }
}

/** Peak resident set size of a process (VmHWM), in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmHWM for ${pid}`);
  return Number(match[1]) * 1024;
}

export async function scratchDir(name: string): Promise<string> {
  const dir = join(testEnv.runDir, 'test-scratch', `${name}-${randomUUID().slice(0, 8)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
