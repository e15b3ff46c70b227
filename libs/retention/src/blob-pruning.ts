import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, opendir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export interface BlobPruneOptions {
  /** Only blobs last written before this may go (a put rewrites the file, so mtime is its last use). */
  cutoff: Date;
  /** Candidates handled per step. */
  batchSize: number;
  /** The keys ("ab/<sha256>") retained records still reference; asked once, only if a candidate exists. */
  referenced: () => Promise<Set<string>>;
}

export interface BlobPruneResult {
  removed: number;
  /** Old enough, but a retained record references them. */
  kept: number;
}

const SHARD = /^[0-9a-f]{2}$/;
const BLOB = /^[0-9a-f]{64}$/;

/**
 * Removes claim-check blobs of a FileSystemBlobStore directory that were last written before
 * the cutoff and that no retained record references. A blob is first renamed aside and checked
 * again there, so a put of the same content racing the removal keeps its file.
 */
export async function pruneBlobs(root: string, options: BlobPruneOptions): Promise<BlobPruneResult> {
  const result: BlobPruneResult = { removed: 0, kept: 0 };
  const cutoffMs = options.cutoff.getTime();
  let referenced: Set<string> | undefined;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    referenced ??= await options.referenced();
    for (const key of batch) {
      if (referenced.has(key)) result.kept++;
      else if (await removeIfStillOld(root, key, cutoffMs)) result.removed++;
    }
    batch = [];
  };
  let shards;
  try {
    shards = await opendir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return result;
    throw error;
  }
  for await (const shard of shards) {
    if (!shard.isDirectory() || !SHARD.test(shard.name)) continue;
    for await (const entry of await opendir(join(root, shard.name))) {
      if (!entry.isFile() || !BLOB.test(entry.name) || !entry.name.startsWith(shard.name)) continue;
      const key = `${shard.name}/${entry.name}`;
      const stats = await lstat(join(root, key)).catch(() => undefined);
      if (!stats || stats.mtimeMs >= cutoffMs) continue;
      batch.push(key);
      if (batch.length >= options.batchSize) await flush();
    }
  }
  await flush();
  return result;
}

async function removeIfStillOld(root: string, key: string, cutoffMs: number): Promise<boolean> {
  const path = join(root, key);
  const aside = join(root, 'tmp', `pruning-${randomUUID()}`);
  await mkdir(join(root, 'tmp'), { recursive: true });
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const stats = await lstat(aside);
  if (stats.mtimeMs >= cutoffMs) {
    // Rewritten since we looked: put it back (a newer copy already there has the same bytes).
    await link(aside, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await rm(aside, { force: true });
    return false;
  }
  await rm(aside, { force: true });
  return true;
}
