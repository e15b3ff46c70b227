import type { BlobStore } from '#blob-store';
import { claimCheckSchema, RAW_CONTENT_TYPES, type MessageRef, type RawHeaders } from '#contracts';
import { JournalwireError } from '#errors';

/** The bytes of a raw record (inline, or fetched through its claim check) and how to refer to them. */
export async function loadRawMessage(headers: RawHeaders, value: Buffer | null, blobStore: BlobStore): Promise<{ bytes: Buffer; ref: MessageRef }> {
  if (!value) throw new JournalwireError('validation', 'Raw record has no value');
  if (headers.contentType === RAW_CONTENT_TYPES.inline) {
    return { bytes: value, ref: { inline: value.toString('base64') } };
  }
  let claimCheck;
  try {
    claimCheck = claimCheckSchema.parse(JSON.parse(value.toString('utf8')));
  } catch (error) {
    throw new JournalwireError('validation', 'Raw record claims a claim check but its value is not one', { cause: error });
  }
  return { bytes: await blobStore.get(claimCheck), ref: { claimCheck } };
}
