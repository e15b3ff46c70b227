import { describe, expect, it } from 'vitest';
import { boundedKey, MAX_KEY_BYTES } from './keys.js';

describe('boundedKey', () => {
  it('keeps a short key and hashes a long one, telling long ones apart', () => {
    expect(boundedKey('7c0d11e2-connector')).toBe('7c0d11e2-connector');
    expect(boundedKey('k'.repeat(MAX_KEY_BYTES))).toBe('k'.repeat(MAX_KEY_BYTES));
    const a = boundedKey(`${'k'.repeat(5_000_000)}a`);
    const b = boundedKey(`${'k'.repeat(5_000_000)}b`);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(boundedKey('\u00e9'.repeat(MAX_KEY_BYTES))).toMatch(/^sha256:/);
  });
});
