import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemBlobStore } from './file-system-blob-store.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'jw-blob-spec-'));
  dirs.push(dir);
  return dir;
}

/** A store whose directory fsyncs are recorded (and still performed). */
function recordingStore(root: string, orphanAgeMs?: number) {
  const synced: string[] = [];
  const store = new FileSystemBlobStore(root, {
    ...(orphanAgeMs === undefined ? {} : { orphanAgeMs }),
    syncDirectory: async (path) => {
      synced.push(path);
    },
  });
  return { store, synced };
}

describe('FileSystemBlobStore durability', () => {
  it('fsyncs the parent of each directory it creates and the shard directory after the rename', async () => {
    const base = await scratch();
    const root = join(base, 'blobs');
    const { store, synced } = recordingStore(root);
    await store.orphansRemoved;
    const claim = await store.put(Buffer.from('first message\r\n'));
    const shard = join(root, claim.key.slice(0, 2));
    // root and root/tmp were created (their parents synced), then the shard (root synced), then the rename.
    expect(synced).toEqual([base, root, root, shard]);
    expect(await store.get(claim)).toEqual(Buffer.from('first message\r\n'));

    synced.length = 0;
    const again = await store.put(Buffer.from('first message\r\n'));
    expect(again.key).toBe(claim.key);
    expect(synced).toEqual([shard]); // no directory created: only the rename is made durable
  });

  it('really fsyncs directories by default', async () => {
    const store = new FileSystemBlobStore(join(await scratch(), 'blobs'));
    const claim = await store.put(Buffer.from('x'));
    expect((await store.get(claim)).toString()).toBe('x');
  });

  it('removes orphaned temp files at start, and only those no writer has touched for the orphan age', async () => {
    const root = await scratch();
    const tmp = join(root, 'tmp');
    await mkdir(tmp, { recursive: true });
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const name of ['orphan-1', 'orphan-2']) {
      await writeFile(join(tmp, name), 'partial');
      await utimes(join(tmp, name), old, old);
    }
    await writeFile(join(tmp, 'being-written'), 'live');
    const { store, synced } = recordingStore(root, 3600_000);
    expect(await store.orphansRemoved).toBe(2);
    expect(await readdir(tmp)).toEqual(['being-written']);
    expect(synced).toEqual([tmp]);
  });

  it('starts on a directory that does not exist yet', async () => {
    const { store } = recordingStore(join(await scratch(), 'missing'));
    expect(await store.orphansRemoved).toBe(0);
  });
});
