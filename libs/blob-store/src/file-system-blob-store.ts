import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClaimCheck } from '#contracts';
import { isJournalwireError, JournalwireError } from '#errors';
import type { BlobStore } from './blob-store.js';

export class FileSystemBlobStore implements BlobStore {
  readonly name = 'fs';

  constructor(private readonly root: string) {}

  async putStream(source: Readable): Promise<ClaimCheck> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, measure, createWriteStream(tmpPath, { flags: 'wx' }));
      await fsyncFile(tmpPath);
      const sha256 = hash.digest('hex');
      const key = keyFor(sha256);
      await mkdir(join(this.root, key, '..'), { recursive: true });
      await rename(tmpPath, join(this.root, key));
      return { store: this.name, key, sha256, size };
    } catch (error) {
      await rm(tmpPath, { force: true });
      // The source's own failure (a dropped POP3 connection, a missing or corrupt blob) says more.
      if (isJournalwireError(error)) throw error;
      throw new JournalwireError(
        'blob-store',
        `Could not store a message in ${this.root}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, retryable: true },
      );
    }
  }

  async put(bytes: Buffer): Promise<ClaimCheck> {
    return this.putStream(Readable.from([bytes]));
  }

  async get(reference: ClaimCheck): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(reference));
    } catch (error) {
      throw readFailure(error, reference, this.root);
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== reference.sha256) throw corrupt(reference, actual);
    return bytes;
  }

  /** Streams a blob, checking its sha256 on the way: a corrupt blob fails the stream at its end. */
  getStream(reference: ClaimCheck): Readable {
    const hash = createHash('sha256');
    const root = this.root;
    const verify = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
      flush(callback) {
        const actual = hash.digest('hex');
        callback(actual === reference.sha256 ? null : corrupt(reference, actual));
      },
    });
    const file = createReadStream(this.pathOf(reference));
    file.on('error', (error) => verify.destroy(readFailure(error, reference, root)));
    return file.pipe(verify);
  }

  private pathOf(reference: ClaimCheck): string {
    if (reference.store !== this.name || !/^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(reference.key)) {
      throw new JournalwireError('blob-store', `Unknown blob reference ${reference.store}:${reference.key}`);
    }
    return join(this.root, reference.key);
  }
}

/** A missing blob will not come back by retrying; any other read failure may. */
function readFailure(error: unknown, reference: ClaimCheck, root: string): JournalwireError {
  const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
  return new JournalwireError(
    'blob-store',
    `${missing ? 'Claim-check blob is missing' : 'Could not read claim-check blob'}: ${reference.key} in ${root}`,
    {
      cause: error,
      retryable: !missing,
    },
  );
}

function corrupt(reference: ClaimCheck, actual: string): JournalwireError {
  return new JournalwireError(
    'blob-store',
    `Claim-check blob ${reference.key} is corrupt: its sha256 is ${actual}, the reference says ${reference.sha256}`,
  );
}

function keyFor(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256}`;
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
