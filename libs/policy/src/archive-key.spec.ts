import { describe, expect, it } from 'vitest';
import { archiveIdOf, dedupKeyOf, MAX_KEYED_MESSAGE_ID_BYTES } from './index.js';

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

  it('bounds a key whatever the Message-ID (a btree entry holds at most 2704 bytes)', () => {
    const atLimit = `${'m'.repeat(MAX_KEYED_MESSAGE_ID_BYTES - 12)}@contoso.com`;
    expect(dedupKeyOf({ messageId: atLimit, contentHash: hash }, 'c/r1')).toBe(`mid:${atLimit}|${hash}`);
    for (const length of [MAX_KEYED_MESSAGE_ID_BYTES + 1, 8_000, 5_000_000]) {
      const a = dedupKeyOf({ messageId: `${'a'.repeat(length)}@x`, contentHash: hash }, 'c/r1');
      const b = dedupKeyOf({ messageId: `${'a'.repeat(length)}@y`, contentHash: hash }, 'c/r1');
      expect(a).toMatch(/^mid-sha256:[0-9a-f]{64}\|[0-9a-f]{64}$/);
      expect(a).not.toBe(b);
    }
    // Multi-byte characters count as bytes, not as characters.
    const wide = '\u00e9'.repeat(MAX_KEYED_MESSAGE_ID_BYTES / 2 + 1);
    expect(dedupKeyOf({ messageId: wide, contentHash: hash }, 'c/r1')).toMatch(/^mid-sha256:/);
    expect(dedupKeyOf({ messageId: null, contentHash: null }, `c/${'r'.repeat(10_000)}`)).toMatch(/^raw:sha256:/);
  });

  it('gives each key a stable archive id', () => {
    expect(archiveIdOf(`hash:${hash}`)).toMatch(/^ar_[0-9a-f]{40}$/);
    expect(archiveIdOf(`hash:${hash}`)).toBe(archiveIdOf(`hash:${hash}`));
  });
});
