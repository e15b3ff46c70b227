import { describe, expect, it } from 'vitest';
import { archiveIdOf, dedupKeyOf } from '../src/index.js';

const hash = 'a'.repeat(64);

describe('dedupKeyOf', () => {
  it('keys by Message-ID and content hash, by the hash alone, or by the raw id', () => {
    expect(dedupKeyOf({ messageId: 'm1@contoso.com', contentHash: hash }, 'c/r1')).toBe(`mid:m1@contoso.com|${hash}`);
    expect(dedupKeyOf({ messageId: null, contentHash: hash }, 'c/r1')).toBe(`hash:${hash}`);
    expect(dedupKeyOf({ messageId: 'm1@contoso.com', contentHash: null }, 'c/r1')).toBe('raw:c/r1');
  });

  it('never puts a NUL into a key, and still tells such Message-IDs apart', () => {
    const a = dedupKeyOf({ messageId: 'a\u0000b@contoso.com', contentHash: hash }, 'c/r1');
    const b = dedupKeyOf({ messageId: 'a\u0000c@contoso.com', contentHash: hash }, 'c/r1');
    expect(a).not.toContain('\u0000');
    expect(a).toMatch(/^mid-sha256:[0-9a-f]{64}\|/);
    expect(a).not.toBe(b);
  });

  it('gives each key a stable archive id', () => {
    expect(archiveIdOf(`hash:${hash}`)).toMatch(/^ar_[0-9a-f]{40}$/);
    expect(archiveIdOf(`hash:${hash}`)).toBe(archiveIdOf(`hash:${hash}`));
  });
});
