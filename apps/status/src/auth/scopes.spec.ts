import { describe, expect, it } from 'vitest';
import { isJournalwireError } from '#errors';
import { assertScope, defaultScopeOf, scopeAllows } from './scopes.js';

describe('token scopes', () => {
  it('nest: admin includes operate includes read', () => {
    expect(scopeAllows('admin', 'read')).toBe(true);
    expect(scopeAllows('admin', 'operate')).toBe(true);
    expect(scopeAllows('operate', 'read')).toBe(true);
    expect(scopeAllows('operate', 'admin')).toBe(false);
    expect(scopeAllows('read', 'operate')).toBe(false);
  });

  it('default to read for GET and admin for every other method', () => {
    expect(defaultScopeOf('GET')).toBe('read');
    expect(defaultScopeOf('POST')).toBe('admin');
    expect(defaultScopeOf('DELETE')).toBe('admin');
  });

  it('refuse with a forbidden error naming both scopes', () => {
    try {
      assertScope('read', 'operate');
      expect.unreachable();
    } catch (error) {
      expect(isJournalwireError(error, 'forbidden')).toBe(true);
      expect((error as Error).message).toMatch(/"read".*"operate"/);
    }
  });
});
