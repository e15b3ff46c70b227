import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ClaimCheck } from '#contracts';
import { isJournalwireError, JournalwireError } from '#errors';
import type { BlobStore } from './blob-store.js';

export interface FileSystemBlobStoreOptions {
  /**
   * Temp files not written to for this long are orphans of a crashed writer and are removed when
   * the store starts. Several services (and replicas) share the directory, so a live write must be
   * younger: a streamed RETR is bounded by the POP3 command deadline (10 min by default).
   * Default 1 hour.
   */
  orphanAgeMs?: number;
  /** fsyncs a directory (a test hook; the default opens and syncs it). */
  syncDirectory?: (path: string) => Promise<void>;
}

const DEFAULT_ORPHAN_AGE_MS = 60 * 60_000;

/**
 * Blobs at `root/<first two hex digits>/<sha256>`, written to `root/tmp` first, fsynced, renamed
 * into place, and made durable by fsyncing every directory whose entries changed.
 */
export class FileSystemBlobStore implements BlobStore {
  readonly name = 'fs';
  /** The start-up removal of orphaned temp files: how many were removed (never rejects). */
  readonly orphansRemoved: Promise<number>;
  private readonly syncDirectory: (path: string) => Promise<void>;

  constructor(
    private readonly root: string,
    options: FileSystemBlobStoreOptions = {},
  ) {
    this.syncDirectory = options.syncDirectory ?? ((path) => fsync(path, 'r'));
    this.orphansRemoved = this.removeOrphans(options.orphanAgeMs ?? DEFAULT_ORPHAN_AGE_MS).catch(() => 0);
  }

  async putStream(source: Readable): Promise<ClaimCheck> {
    const tmpDir = join(this.root, 'tmp');
    await this.makeDirectory(tmpDir);
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
      await fsync(tmpPath, 'r+');
      const sha256 = hash.digest('hex');
      const key = keyFor(sha256);
      const target = join(this.root, key);
      await this.makeDirectory(dirname(target));
      await rename(tmpPath, target);
      // The new name is durable only once its directory is.
      await this.syncDirectory(dirname(target));
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

  /** Creates a directory (and missing parents), fsyncing the parent of each one created. */
  private async makeDirectory(path: string): Promise<void> {
    const firstCreated = await mkdir(path, { recursive: true });
    if (firstCreated === undefined) return;
    const created: string[] = [];
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      created.push(dir);
      if (dir === resolve(firstCreated) || dir === dirname(dir)) break;
    }
    for (const dir of created.reverse()) await this.syncDirectory(dirname(dir));
  }

  /** Removes temp files nobody has written to for `olderThanMs` (left by a writer that crashed). */
  private async removeOrphans(olderThanMs: number): Promise<number> {
    const tmpDir = join(this.root, 'tmp');
    let names: string[];
    try {
      names = await readdir(tmpDir);
    } catch {
      return 0;
    }
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const path = join(tmpDir, name);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile() || info.mtimeMs > cutoff) continue;
      await rm(path, { force: true });
      removed += 1;
    }
    if (removed > 0) await this.syncDirectory(tmpDir);
    return removed;
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

/** Flushes a file (opened for writing, `r+`) or a directory (`r`) to the disk. */
async function fsync(path: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
