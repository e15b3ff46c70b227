import type { Readable } from 'node:stream';
import type { ClaimCheck } from '#contracts';

/**
 * The claim-check store for messages above the inline limit. Content-addressed by sha256, so
 * storing the same message twice is harmless. A filesystem directory implements it here; an
 * S3-compatible store can implement the same four operations.
 */
export interface BlobStore {
  readonly name: string;
  /** Stores a stream, hashing it on the way; resolves once the bytes are durable. */
  putStream(source: Readable): Promise<ClaimCheck>;
  put(bytes: Buffer): Promise<ClaimCheck>;
  /** Reads a blob whole, checking its sha256. */
  get(reference: ClaimCheck): Promise<Buffer>;
  /** Streams a blob, checking its sha256 at the end; a missing blob is a non-retryable error. */
  getStream(reference: ClaimCheck): Readable;
}
