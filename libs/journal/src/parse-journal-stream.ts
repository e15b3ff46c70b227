import { createHash } from 'node:crypto';
import { assembleParsedMessage, keyOriginal } from './assemble.js';
import { dedupMessageId, type DedupKey } from './dedup.js';
import { resolveLimits } from './limits.js';
import { unparseableMessage } from './assemble.js';
import { type ParseOptions } from './parse-journal-message.js';
import { JournalScanner } from './scan/journal-scanner.js';
import { type ParsedMessage } from './types.js';

export interface StreamParsedMessage extends ParsedMessage {
  /** Computed while streaming; equal to `dedupKey(raw, parsed)` on the same bytes. */
  dedupKey: DedupKey;
  /** sha256 and length of the whole input. */
  sha256: string;
  size: number;
}

type ByteChunk = Buffer | Uint8Array | string;

function asBuffer(chunk: ByteChunk): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  return typeof chunk === 'string'
    ? Buffer.from(chunk, 'latin1')
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * `parseJournalMessage` for reports too large to hold: the same scanner, fed chunk by chunk.
 * Memory stays bounded by the header blocks and the envelope; originals stream through and
 * are hashed for the dedup key on the way. Rejects only if reading the input fails.
 */
export async function parseJournalStream(
  input: AsyncIterable<ByteChunk> | NodeJS.ReadableStream,
  options: ParseOptions,
): Promise<StreamParsedMessage> {
  const limits = resolveLimits(options.limits);
  const wholeHash = createHash('sha256');
  let scanner: JournalScanner | null = new JournalScanner({
    journalType: options.journalType,
    limits,
    hashContent: true,
  });
  let size = 0;
  for await (const item of input as AsyncIterable<ByteChunk>) {
    const chunk = asBuffer(item);
    wholeHash.update(chunk);
    try {
      scanner?.write(chunk, size);
    } catch {
      scanner = null;
    }
    size += chunk.length;
  }
  const sha256 = wholeHash.digest('hex');
  try {
    if (scanner !== null) {
      scanner.end(size);
      const parsed = assembleParsedMessage(scanner.facts, options.journalType, limits);
      const hasher =
        parsed.kind === 'plain'
          ? scanner.facts.messageHasher
          : parsed.originals.length > 0
            ? (keyOriginal(scanner.facts)?.hasher ?? null)
            : null;
      return {
        ...parsed,
        dedupKey: { messageId: dedupMessageId(parsed), contentHash: hasher?.digest() ?? null },
        sha256,
        size,
      };
    }
  } catch {
    // fall through to the unparseable result
  }
  return { ...unparseableMessage(options.journalType), dedupKey: { messageId: null, contentHash: null }, sha256, size };
}
