import type { Readable } from 'node:stream';
import type { BlobStore } from '#blob-store';
import { claimCheckSchema, RAW_CONTENT_TYPES, type ClaimCheck, type MessageRef, type RawHeaders } from '#contracts';
import { JournalwireError } from '#errors';

/** A raw record's message: inline bytes, or a claim check to stream from the blob store. */
export type RawMessage =
  | { kind: 'inline'; bytes: Buffer; ref: MessageRef }
  | { kind: 'claim-check'; claimCheck: ClaimCheck; ref: MessageRef; open: () => Readable };

export function rawMessageOf(headers: RawHeaders, value: Buffer | null, blobStore: BlobStore): RawMessage {
  if (!value) throw new JournalwireError('validation', 'Raw record has no value');
  if (headers.contentType === RAW_CONTENT_TYPES.inline) {
    return { kind: 'inline', bytes: value, ref: { inline: value.toString('base64') } };
  }
  let claimCheck: ClaimCheck;
  try {
    claimCheck = claimCheckSchema.parse(JSON.parse(value.toString('utf8')));
  } catch (error) {
    throw new JournalwireError('validation', 'Raw record claims a claim check but its value is not one', {
      cause: error,
    });
  }
  return { kind: 'claim-check', claimCheck, ref: { claimCheck }, open: () => blobStore.getStream(claimCheck) };
}

/**
 * The message of a raw record that failed, for its dead letter: the claim check it names, else the
 * value's bytes themselves (whatever they are), so an operator can always replay it.
 */
export function deadLetterMessageOf(contentType: string | undefined, value: Buffer | null): MessageRef | null {
  if (!value) return null;
  if (contentType === RAW_CONTENT_TYPES.claimCheck) {
    const parsed = claimCheckSchema.safeParse(safeJson(value));
    if (parsed.success) return { claimCheck: parsed.data };
  }
  return { inline: value.toString('base64') };
}

function safeJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return null;
  }
}
