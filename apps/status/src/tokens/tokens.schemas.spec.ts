import { describe, expect, it } from 'vitest';
import { createTokenSchema, expiryOf } from './tokens.schemas.js';

describe('createTokenSchema', () => {
  it('takes a name, a scope and an optional expiry (in days or as a future time, not both)', () => {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const days = createTokenSchema.parse({ name: ' ci ', scope: 'read', expiresInDays: 2 });
    expect(days.name).toBe('ci');
    expect(expiryOf(days, now)?.toISOString()).toBe('2026-12-03T00:00:00.000Z');
    expect(expiryOf(createTokenSchema.parse({ name: 'x', scope: 'admin' }), now)).toBeNull();
    for (const bad of [
      { name: 'x', scope: 'root' },
      { name: '', scope: 'read' },
      { name: 'x'.repeat(101), scope: 'read' },
      { name: 'x', scope: 'read', expiresAt: '2000-01-01T00:00:00Z' },
      { name: 'x', scope: 'read', expiresAt: '2999-01-01T00:00:00Z', expiresInDays: 3 },
      { name: 'x', scope: 'read', expiresInDays: 0 },
      { name: 'x', scope: 'read', admin: true },
    ])
      expect(createTokenSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
