/**
 * Journal-like test messages (RFC 5322, CRLF lines only) with the bytes that break naive POP3
 * clients: dot-leading lines, lone "." lines, 8-bit Latin-1 text. Deterministic for a given seed.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CorpusFile {
  path: string;
  size: number;
  sha256: string;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Lines that break naive clients: dot-leading, a lone ".", 8-bit Latin-1. */
const TRICKY_LINES = [
  '.leading dot line that must be byte-stuffed',
  '..two leading dots',
  '.',
  'Gr\xfc\xdfe aus M\xfcnchen, caf\xe9 cr\xe8me br\xfbl\xe9e, \xa7 12 \xb1 3 \xb5m',
  '\xff\xfe\xfd 8-bit bytes \x80\x81\x9f',
];

const TEXT_LINES = [
  ...TRICKY_LINES,
  'Sender: alice@example.com',
  'Subject: Quarterly results',
  'Recipient: bob@example.com, Expanded: finance@example.com',
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.',
  '',
  '-- ',
];

export type CorpusKind = 'journal' | 'text';

/**
 * One message of about `size` bytes, ending with CRLF.
 * `journal`: shaped like an Exchange journal report (envelope part with the tricky lines, then the
 * original message whose bulk is a base64 attachment). `text`: 8-bit text where about a quarter
 * of the lines start with "." (a worst case for dot-unstuffing).
 */
export function journalMessage(
  index: number,
  size: number,
  random: () => number = seededRandom(index),
  kind: CorpusKind = 'journal',
): Buffer {
  const boundary = `journal-${index}-boundary`;
  const parts = [
    `Return-Path: <journal@example.com>\r\n` +
      `From: Microsoft Exchange <journal@example.com>\r\n` +
      `To: journal-${index}@example.com\r\n` +
      `Subject: Journal report ${index} \xe9\r\n` +
      `Message-ID: <journal-${index}@example.com>\r\n` +
      `MIME-Version: 1.0\r\n`,
  ];
  if (kind === 'text') {
    parts.push('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n');
    fillLines(parts, size, () => TEXT_LINES[Math.floor(random() * TEXT_LINES.length)] ?? '');
    return Buffer.from(parts.join(''), 'latin1');
  }
  parts.push(
    `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n` +
      `Sender: alice${index}@example.com\r\nSubject: Quarterly results \xe9\r\nMessage-Id: <orig-${index}@example.com>\r\n` +
      `To: bob@example.com, Expanded: finance@example.com\r\n${TRICKY_LINES.join('\r\n')}\r\n\r\n` +
      `--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n` +
      `From: alice${index}@example.com\r\nSubject: Quarterly results\r\nContent-Type: multipart/mixed; boundary="orig-${index}"\r\n\r\n` +
      `--orig-${index}\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n` +
      `Hello Bob,\r\n.see the attached figures.\r\n\r\n-- \r\nAlice\r\n` +
      `--orig-${index}\r\nContent-Type: application/pdf; name="figures-${index}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
  );
  const trailer = `--orig-${index}--\r\n\r\n--${boundary}--\r\n`;
  fillLines(parts, size - trailer.length, () => base64Line(random));
  parts.push(trailer);
  return Buffer.from(parts.join(''), 'latin1');
}

function fillLines(parts: string[], size: number, nextLine: () => string): void {
  let length = parts.reduce((sum, part) => sum + part.length, 0);
  while (length < size) {
    const line = `${nextLine()}\r\n`;
    parts.push(line);
    length += line.length;
  }
}

const RANDOM_POOL = Buffer.from(
  Array.from({ length: 65_536 }, seededRandom(7)).map((value) => Math.floor(value * 256)),
);

/** 76 base64 characters of pseudo-random content. */
function base64Line(random: () => number): string {
  const offset = Math.floor(random() * (RANDOM_POOL.length - 57));
  return RANDOM_POOL.toString('base64', offset, offset + 57);
}

/** Writes `count` messages with sizes uniformly in [minSize, maxSize] into `dir`, returning them in order. */
export async function writeJournalCorpus(
  dir: string,
  count: number,
  options: { minSize: number; maxSize: number; seed?: number; kind?: CorpusKind },
): Promise<CorpusFile[]> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(options.seed ?? 1);
  const files: CorpusFile[] = [];
  for (let index = 1; index <= count; index += 1) {
    const size = options.minSize + Math.floor(random() * (options.maxSize - options.minSize + 1));
    const data = journalMessage(index, size, random, options.kind);
    const path = join(dir, `${String(index).padStart(6, '0')}.eml`);
    await writeFile(path, data);
    files.push({ path, size: data.length, sha256: sha256(data) });
  }
  return files;
}
