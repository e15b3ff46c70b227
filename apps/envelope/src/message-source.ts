import type { Readable } from 'node:stream';
import type { BlobStore } from '#blob-store';
import { messageOf, type ClaimCheck, type MessageBody, type RawHeaders } from '#contracts';
import { JournalwireError } from '#errors';

/** A raw record's message: inline bytes, or a claim check to stream from the blob store. */
export type RawMessage =
  | { kind: 'inline'; bytes: Buffer; body: MessageBody }
  | { kind: 'claim-check'; claimCheck: ClaimCheck; body: MessageBody; open: () => Readable };

export function rawMessageOf(headers: RawHeaders, value: Buffer | null, blobStore: BlobStore): RawMessage {
  if (!value) throw new JournalwireError('validation', 'Raw record has no value');
  const body = messageOf(value, headers.contentType);
  if (body === null || 'inline' in body) return { kind: 'inline', bytes: value, body: { inline: value } };
  const { claimCheck } = body;
  return { kind: 'claim-check', claimCheck, body, open: () => blobStore.getStream(claimCheck) };
}
