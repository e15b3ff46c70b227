import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneBlobs } from './blob-pruning.js';

const DAY = 24 * 3600 * 1000;

describe('pruneBlobs', () => {
  const now = Date.now();
  const cutoff = new Date(now - 10 * DAY);

  function store(blobs: Record<string, number>): { root: string; keys: Record<string, string> } {
    const root = mkdtempSync(join(tmpdir(), 'blob-prune-'));
    const keys: Record<string, string> = {};
    Object.entries(blobs).forEach(([label, ageDays], i) => {
      const sha = i.toString(16).padStart(2, '0').repeat(32);
      mkdirSync(join(root, sha.slice(0, 2)), { recursive: true });
      const path = join(root, sha.slice(0, 2), sha);
      writeFileSync(path, label);
      const at = new Date(now - ageDays * DAY);
      utimesSync(path, at, at);
      keys[label] = `${sha.slice(0, 2)}/${sha}`;
    });
    return { root, keys };
  }

  it('removes old unreferenced blobs only, asking for references once and only when needed', async () => {
    const { root, keys } = store({ old: 30, oldReferenced: 30, young: 1 });
    mkdirSync(join(root, 'tmp'));
    writeFileSync(join(root, 'tmp', 'in-flight'), 'x');
    let asked = 0;
    const result = await pruneBlobs(root, {
      cutoff,
      batchSize: 1,
      referenced: async () => {
        asked++;
        return new Set([keys.oldReferenced!]);
      },
    });
    expect(result).toEqual({ removed: 1, kept: 1 });
    expect(asked).toBe(1);
    expect(existsSync(join(root, keys.old!))).toBe(false);
    expect(existsSync(join(root, keys.oldReferenced!))).toBe(true);
    expect(existsSync(join(root, keys.young!))).toBe(true);
    expect(readdirSync(join(root, 'tmp'))).toEqual(['in-flight']);

    let askedAgain = false;
    const none = store({ young: 1 });
    await pruneBlobs(none.root, {
      cutoff,
      batchSize: 10,
      referenced: async () => {
        askedAgain = true;
        return new Set();
      },
    });
    expect(askedAgain).toBe(false);
  });

  it('puts back a blob rewritten (stored again) while it was being removed', async () => {
    const { root, keys } = store({ rewritten: 30 });
    const result = await pruneBlobs(root, {
      cutoff,
      batchSize: 10,
      // A put of the same bytes lands between the listing and the removal.
      referenced: async () => {
        utimesSync(join(root, keys.rewritten!), new Date(), new Date());
        return new Set();
      },
    });
    expect(result).toEqual({ removed: 0, kept: 0 });
    expect(existsSync(join(root, keys.rewritten!))).toBe(true);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('does nothing for a directory that does not exist yet', async () => {
    const result = await pruneBlobs(join(tmpdir(), `absent-${now}`), {
      cutoff,
      batchSize: 10,
      referenced: async () => new Set(),
    });
    expect(result).toEqual({ removed: 0, kept: 0 });
  });
});
