import { ContentHasher } from './content-hash.js';
import { decodeTransferEncoding } from './decoding/transfer-decoder.js';
import { type EnvelopeRecipient, type OriginalRef, type ParsedMessage, type RecipientType } from './types.js';

/** Identifies one archived item across duplicate reports (docs §9). */
export interface DedupKey {
  /** The original's Message-ID without angle brackets and whitespace. */
  messageId: string | null;
  /** sha256 of the original without Received, Return-Path, Bcc and X-MS-Exchange-* fields. */
  contentHash: string | null;
}

export function normaliseMessageId(value: string | null): string | null {
  if (value === null) return null;
  // the first `<` and the first `>` after it (a regex would rescan the rest for every `<`)
  const open = value.indexOf('<');
  const close = open < 0 ? -1 : value.indexOf('>', open + 1);
  const id = (close < 0 ? value : value.slice(open + 1, close)).replace(/\s+/g, '');
  return id === '' ? null : id;
}

/** The Message-ID the key uses: a plain message's own, else the original's, else the envelope's. */
export function dedupMessageId(parsed: ParsedMessage): string | null {
  if (parsed.kind === 'plain') return normaliseMessageId(parsed.report.messageId);
  return (
    normaliseMessageId(parsed.original?.messageId ?? null) ?? normaliseMessageId(parsed.envelope?.messageId ?? null)
  );
}

export function contentHashOf(bytes: Buffer, filterHeaders = true): string {
  const hasher = new ContentHasher(filterHeaders);
  hasher.write(bytes);
  return hasher.digest();
}

function originalContentHash(raw: Buffer, original: OriginalRef): string {
  const bytes = raw.subarray(original.start, original.end);
  const decoded =
    original.transferEncoding === undefined ? bytes : decodeTransferEncoding(bytes, original.transferEncoding);
  // An attached .eml is a message once decoded; a .msg is an opaque Outlook file.
  return contentHashOf(decoded, original.role !== 'fallback' || /\.eml$/i.test(original.filename ?? ''));
}

/** The dedup key of a parsed message; a plain message is its own original. */
export function dedupKey(raw: Buffer, parsed: ParsedMessage): DedupKey {
  const messageId = dedupMessageId(parsed);
  if (parsed.kind === 'plain') return { messageId, contentHash: contentHashOf(raw) };
  const original = parsed.originals[0];
  return { messageId, contentHash: original === undefined ? null : originalContentHash(raw, original) };
}

export function sameDedupKey(a: DedupKey, b: DedupKey): boolean {
  if (a.messageId === null || b.messageId === null)
    return a.messageId === b.messageId && a.contentHash !== null && a.contentHash === b.contentHash;
  return a.messageId === b.messageId && a.contentHash === b.contentHash;
}

type MergeableRecipient = Pick<EnvelopeRecipient, 'address' | 'type' | 'via' | 'viaAddress'> &
  Partial<Pick<EnvelopeRecipient, 'qualifier'>>;

/**
 * Recipients of two reports of one message (docs §9): one entry per address and via annotation,
 * each with the address's richest type (`to`/`cc`/`bcc`, first seen, over `recipient`).
 */
export function mergeRecipients<R extends MergeableRecipient>(a: readonly R[], b: readonly R[]): R[] {
  const all = [...a, ...b];
  const typeByAddress = new Map<string, RecipientType>();
  for (const recipient of all) {
    const known = typeByAddress.get(recipient.address);
    if (known === undefined || (known === 'recipient' && recipient.type !== 'recipient'))
      typeByAddress.set(recipient.address, recipient.type);
  }
  const seen = new Set<string>();
  const merged: R[] = [];
  for (const recipient of all) {
    const key = `${recipient.address}\u0000${recipient.via ?? ''}\u0000${recipient.viaAddress ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push({ ...recipient, type: typeByAddress.get(recipient.address) as RecipientType });
  }
  return merged;
}
